// What compare judges (issue 14): each probe's judged metrics, with the direction the
// case's role gives them; diagnostics only with --all; nothing from a disturbed
// measurement; wrong answers first; factors only where they can matter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { compareCase, compareReports } from '../../src/report/compare.js';
import { renderCompareText } from '../../src/report/render-compare.js';
import { root } from '../helpers/cli.js';

type Result = Report['results'][number];
const real = (): Report => JSON.parse(readFileSync(join(root, 'fixtures', 'reports', 'controls-real.json'), 'utf8')) as Report;
const result = (over: Partial<Result> & { metrics: Record<string, unknown> }): Result => ({
  id: 'c',
  probe: 'alloc',
  backend: 'ze',
  params: {},
  options: {},
  status: 'pass',
  reason: '',
  samples: [],
  startedAt: '2026-12-01T00:00:00Z',
  durationMs: 1,
  ...over,
});
const slope = (v: number, lo: number, hi: number, extra: Record<string, unknown> = {}) => ({ hostPerDevice: v, hostPerDeviceCI: [lo, hi], verdict: 'shadow', ...extra });

describe('compare judges what matters', () => {
  it('a positive control moving to its truth improved; the same move of a measured case regressed', () => {
    const before = slope(0.865, 0.775, 0.956);
    const after = slope(1.002, 1.001, 1.003);
    const control = compareCase(result({ control: 'positive', metrics: before }), result({ control: 'positive', metrics: after }));
    expect(control.metrics.find((m) => m.metric === 'hostPerDevice')!.outcome).toBe('improved');
    expect(control.outcome).toBe('improved');
    const measured = compareCase(result({ metrics: before }), result({ metrics: after }));
    expect(measured.metrics.find((m) => m.metric === 'hostPerDevice')!.outcome).toBe('regressed');
    // A positive control moving away from its truth is the regression.
    const worse = compareCase(result({ control: 'positive', metrics: after }), result({ control: 'positive', metrics: slope(1.346, 1.06, 1.631) }));
    expect(worse.outcome).toBe('regressed');
  });

  it('a driver fix that fails the expectation of the reported shadow is an improvement, not a regression', () => {
    const c = compareCase(
      result({ status: 'pass', metrics: slope(1.0, 0.99, 1.01) }),
      result({ status: 'fail', reason: 'expected shadow, measured clean', metrics: slope(0.001, 0, 0.002, { verdict: 'clean' }) }),
    );
    expect(c.status.outcome).toBe('improved');
    expect(c.outcome).toBe('improved');
    expect(c.correctness).toBe(false);
    // A failure without a verdict that moved stays a regression (a leak, a wrong all-reduce).
    expect(compareCase(result({ status: 'pass', metrics: slope(1, 0.99, 1.01) }), result({ status: 'fail', metrics: slope(1, 0.99, 1.01) })).outcome).toBe('regressed');
  });

  it('a release of more than was taken reads as 1: others freed memory meanwhile; a shortfall still regresses', () => {
    // Seen in an A/A pair of the positive control under a load of 4: 1.14 -> 1.00.
    const c = compareCase(
      result({ control: 'positive', metrics: slope(1.0, 0.99, 1.01, { releasedFraction: 1.14 }) }),
      result({ control: 'positive', metrics: slope(1.0, 0.99, 1.01, { releasedFraction: 1.0 }) }),
    );
    const m = c.metrics.find((x) => x.metric === 'releasedFraction')!;
    expect(m.outcome).toBe('unchanged');
    expect(m.rule).toMatch(/above 1 read as 1: other processes freed memory meanwhile/);
    expect(c.outcome).not.toBe('regressed');
    const leak = compareCase(result({ metrics: slope(1.0, 0.99, 1.01, { releasedFraction: 1.0 }) }), result({ metrics: slope(1.0, 0.99, 1.01, { releasedFraction: 0.6 }) }));
    expect(leak.metrics.find((x) => x.metric === 'releasedFraction')!.outcome).toBe('regressed');
  });

  it('a disturbed measurement is not judged: its value is listed, undecided, with why', () => {
    const c = compareCase(
      result({ metrics: slope(0.02, 0.01, 0.03, { verdict: 'clean' }) }),
      result({ metrics: slope(0.4, 0.3, 0.5, { verdict: 'clean', disturbed: 'readings left the line by 40.0 MiB against 1.0 MiB of baseline noise' }) }),
    );
    const m = c.metrics.find((x) => x.metric === 'hostPerDevice')!;
    expect(m.outcome).toBe('undecided');
    expect(m.rule).toBe('not judged: after: the measurement was disturbed (readings left the line by 40.0 MiB against 1.0 MiB of baseline noise)');
    expect(c.outcome).toBe('undecided');
  });

  it('diagnostics move without changing the outcome; --all shows and counts them', () => {
    const a = result({ metrics: { ...slope(1, 0.99, 1.01), fitResidualBytes: 11560, fitInterceptBytes: 1e6, instruments: { memFree: 1.0 } } });
    const b = result({ metrics: { ...slope(1, 0.99, 1.01), fitResidualBytes: 6121, fitInterceptBytes: 3e6, instruments: { memFree: 0.5 } } });
    const quiet = compareCase(a, b);
    expect(quiet.outcome).toBe('unchanged');
    const residual = quiet.metrics.find((m) => m.metric === 'fitResidualBytes')!;
    expect(residual).toMatchObject({ outcome: 'changed', diagnostic: true });
    expect(quiet.metrics.find((m) => m.metric === 'slope memFree')).toMatchObject({ outcome: 'changed', diagnostic: true });
    expect(compareCase(a, b, { all: true }).outcome).toBe('changed');
  });

  it('an A/A pair of one real report with jittered diagnostics and fixed cost: nothing regressed or changed', () => {
    const a = real();
    const b = structuredClone(a);
    for (const r of b.results) {
      r.metrics.fitResidualBytes = ((r.metrics.fitResidualBytes as number) ?? 1e4) * 0.53;
      r.metrics.noiseBytes = 16 * 2 ** 20;
      // One pre reading against a baseline with a dip (the A/A failure of issue 14): -16.55 MiB -> -232 KiB.
      r.metrics.hostFixedBytes = r.id.includes('negative') ? -232 * 1024 : r.metrics.hostFixedBytes;
    }
    a.results.find((r) => r.id.includes('negative'))!.metrics.hostFixedBytes = -16.55 * 2 ** 20;
    const c = compareReports(a, b);
    expect(c.summary).toMatchObject({ regressed: 0, changed: 0, improved: 0 });
    expect(c.regression).toBe(false);
    expect(renderCompareText(c)).toMatch(/0 regressed, 0 improved, 0 changed, 0 undecided, 4 unchanged/);
  });

  it('wrong answers come first and are never folded away', () => {
    const rows = (wrong: number) =>
      Array.from({ length: 30 }, (_, i) => ({ bytes: 4096 << (i % 15), count: 1024, algorithm: i < 15 ? 'direct-f32' : 'bf16-rne', timeUs: 10, busbw: 1, wrong: i >= 15 ? wrong : 0, disagree: 0 }));
    const ar = (wrong: number, bw: number) => result({ id: 'sweep', probe: 'allreduce', backend: 'sycl', metrics: { sizes: rows(wrong).map((r) => ({ ...r, busbw: bw, timeUs: 10 / bw })) } });
    const before = { ...real(), results: [result({ id: 'alloc', metrics: slope(0.02, 0.01, 0.03) }), ar(0, 1)] };
    const after = { ...real(), results: [result({ id: 'alloc', metrics: slope(0.5, 0.45, 0.55) }), ar(3, 0.5)] };
    const c = compareReports(before, after);
    expect(c.cases.map((x) => [x.id, x.correctness])).toEqual([
      ['sweep', true],
      ['alloc', false],
    ]);
    const text = renderCompareText(c);
    // 15 wrong rows and 30 slower ones: every wrong one is shown, before any bandwidth line.
    const lines = text.split('\n');
    const from = lines.findIndex((l) => /^REGRESSED\s+sweep/.test(l));
    const to = lines.findIndex((l) => /^REGRESSED\s+alloc/.test(l));
    const sweep = lines.slice(from + 1, to);
    expect(sweep.slice(0, 15).every((l) => l.trim().startsWith('wrong bf16-rne'))).toBe(true);
    expect(sweep.at(-1)).toMatch(/\.\.\. \d+ more/);
  });

  it('factors are weighed only for the backends they can affect', () => {
    const before = real();
    const after = structuredClone(before);
    after.environment.runtimes = { ...after.environment.runtimes, levelZeroDriver: '1.6.34250+3' };
    const target = after.results.find((r) => r.id === 'malloc[touch=fill]')!;
    target.metrics = { ...target.metrics, ...slope(0.001, 0, 0.002, { verdict: 'clean' }) };
    const c = compareReports(before, after);
    expect(c.cases.find((x) => x.id === 'malloc[touch=fill]')!.outcome).toBe('improved');
    // A host-backend case moved; the Level Zero driver cannot explain that.
    expect(c.attribution.kind).toBe('unexplained');
    expect(c.attribution.statement).toMatch(/no recorded factor that can affect the host backend differs/);
    expect(c.attribution.statement).toMatch(/Level Zero driver \(.* -> 1\.6\.34250\+3\) cannot affect that backend/);
    // The same move on a Level Zero case is the driver's.
    for (const r of [...before.results, ...after.results]) if (r.id === 'malloc[touch=fill]') r.backend = 'ze';
    expect(compareReports(before, after).attribution.kind).toBe('one-factor');
  });
});
