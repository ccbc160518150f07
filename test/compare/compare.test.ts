// Comparison logic over staged reports (fixtures/reports/stage.mjs edits one real run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { compareCase, compareReports } from '../../src/report/compare.js';
import { environmentDiff } from '../../src/report/env-diff.js';
import { compareMetric, statusOutcome, verdictOutcome } from '../../src/analysis/metric-compare.js';
import { ALLOC_RULES } from '../../src/probes/alloc/index.js';
import { ALLREDUCE_ROW_RULES } from '../../src/probes/allreduce/index.js';
import { renderCompareMarkdown, renderCompareText } from '../../src/report/render-compare.js';
import { root } from '../helpers/cli.js';

const load = (rel: string): Report => JSON.parse(readFileSync(join(root, 'fixtures', 'reports', rel), 'utf8')) as Report;
const pair = (name: string) => [load(`${name}/before.json`), load(`${name}/after.json`)] as const;

describe('compare: staged driver upgrades', () => {
  it('(a) a driver upgrade fixed it: reports the fix and names the driver as the one factor', () => {
    const [before, after] = pair('driver-fix');
    const c = compareReports(before, after);
    expect(c.regression).toBe(false);
    expect(c.environment.map((f) => f.factor)).toEqual(['runtimes.levelZeroDriver']);
    const fixed = c.cases.find((x) => x.id === 'ze-device[touch=fill]')!;
    expect(fixed.outcome).toBe('improved');
    expect(fixed.verdict).toEqual({ before: 'shadow', after: 'clean', outcome: 'improved' });
    const slope = fixed.metrics.find((m) => m.metric === 'hostPerDevice')!;
    expect(slope.outcome).toBe('improved');
    expect(slope.rule).toMatch(/95% intervals .* do not overlap/);
    expect(c.attribution.kind).toBe('one-factor');
    expect(c.attribution.statement).toMatch(/one factor that changed: Level Zero driver \(1\.6\.33578\+15 -> 1\.6\.34250\+3\)/);
    expect(c.summary).toMatchObject({ improved: 1, regressed: 0, unchanged: 3 });
    expect(renderCompareText(c)).toMatch(/IMPROVED\s+ze-device\[touch=fill\]\s+status pass; verdict shadow -> clean/);
  });

  it('(b) a second factor changed at the same time (ZE_AFFINITY_MASK): the fix cannot be attributed', () => {
    const [before, after] = pair('driver-fix-confounded');
    const c = compareReports(before, after);
    expect(c.regression).toBe(false);
    expect(c.attribution.kind).toBe('confounded');
    expect(c.attribution.statement).toMatch(/cannot be attributed to any one of them/);
    expect(c.attribution.statement).toContain('Level Zero driver');
    expect(c.attribution.statement).toContain('ZE_AFFINITY_MASK (unset -> 0)');
    expect(renderCompareMarkdown(c)).toMatch(/cannot be attributed to any one of them/);
  });

  it('(b) the same with the kernel as the second factor', () => {
    const [before, after] = pair('driver-fix');
    const later = structuredClone(after);
    later.environment.kernel = '6.14.0-1-amd64';
    const c = compareReports(before, later);
    expect(c.attribution.kind).toBe('confounded');
    expect([...c.attribution.factors].sort()).toEqual(['Level Zero driver (1.6.33578+15 -> 1.6.34250+3)', `kernel (${before.environment.kernel} -> 6.14.0-1-amd64)`]);
  });

  it('(c) a staged regression: shadow is back, the all-reduce lost bandwidth and counts wrong elements', () => {
    const [before, after] = pair('regression');
    const c = compareReports(before, after);
    expect(c.regression).toBe(true);
    expect(c.cases.find((x) => x.id === 'ze-device[touch=fill]')!.verdict!.outcome).toBe('regressed');
    const ar = c.cases.find((x) => x.id === 'allreduce-sweep')!;
    expect(ar.status).toEqual({ before: 'pass', after: 'fail', outcome: 'regressed' });
    const wrong = ar.metrics.find((m) => m.metric === 'wrong bf16-rne 1 MiB')!;
    expect(wrong).toMatchObject({ before: 0, after: 12, outcome: 'regressed', rule: 'any change counts' });
    const bw = ar.metrics.find((m) => m.metric === 'busbw bf16-trunc 256 MiB')!;
    expect(bw.outcome).toBe('regressed');
    expect(bw.rule).toBe('no min..p90 ranges on both sides; relative tolerance 5%');
    // Small sizes are latency bound and moved less than 5%: not a regression.
    expect(ar.metrics.find((m) => m.metric === 'busbw direct-f32 4 KiB')!.outcome).toBe('unchanged');
    expect(c.attribution.kind).toBe('one-factor');
  });

  it('a comparison of a report with itself changes nothing and names no factor', () => {
    const r = load('controls-real.json');
    const c = compareReports(r, r);
    // Its host is redacted: listed, never counted as a factor.
    expect(c.environment.every((f) => f.redacted)).toBe(true);
    expect(c.attribution.factors).toEqual([]);
    expect(c.cases.every((x) => x.outcome === 'unchanged')).toBe(true);
    expect(c.attribution.kind).toBe('no-change');
    expect(c.regression).toBe(false);
  });

  it('a change with no recorded factor is called run-to-run variation, not attributed', () => {
    const [, after] = pair('driver-fix');
    const before = structuredClone(after);
    before.environment.runtimes.levelZeroDriver = after.environment.runtimes.levelZeroDriver!;
    before.results = load('driver-fix/before.json').results;
    const c = compareReports(before, after);
    expect(c.attribution.kind).toBe('unexplained');
    expect(c.attribution.statement).toMatch(/no recorded factor differs/);
  });

  it('lists cases on one side only, parameter changes, and warns about untrusted reports', () => {
    const [before, after] = pair('driver-fix');
    const b = structuredClone(before);
    const a = structuredClone(after);
    a.results = a.results.filter((x) => x.id !== 'negative-mmap-lazy');
    a.results.push({ ...structuredClone(a.results[0]!), id: 'new-case' });
    a.results.find((x) => x.id === 'ze-device[touch=fill]')!.params.size = 268435456;
    a.trust = { trusted: false, reasons: ['negative control read shadow'] };
    const c = compareReports(b, a);
    expect(c.onlyBefore).toEqual([{ id: 'negative-mmap-lazy', status: 'pass' }]);
    expect(c.onlyAfter.map((x) => x.id)).toEqual(['new-case']);
    const changed = c.cases.find((x) => x.id === 'ze-device[touch=fill]')!;
    expect(changed.params).toEqual([{ key: 'size', before: 134217728, after: 268435456 }]);
    // The case's own parameters are a second factor next to the driver.
    expect(c.attribution.kind).toBe('confounded');
    expect(c.attribution.factors.some((f) => f.startsWith('parameters of ze-device[touch=fill] (size)'))).toBe(true);
    expect(c.warnings.join('\n')).toMatch(/after report's controls failed/);
  });
});

describe('compare: environment factors', () => {
  it('names every kind of factor that differs', () => {
    const a = load('controls-real.json');
    const b = structuredClone(a);
    b.tool.version = '0.2.0';
    b.suite.sha256 = 'f'.repeat(64);
    b.environment.variables = { ZE_AFFINITY_MASK: '0,1', UR_L0_USM_RESIDENT: '0x1' };
    b.environment.devices[0]!.kernelDriver = 'xe';
    b.environment.devices.push({ backend: 'ze', index: 0, vendor: 'Intel', name: 'Arc Pro B70', pciId: '8086:e223', memoryBytes: 2 ** 35, kernelDriver: 'xe' });
    b.environment.backends = { ...b.environment.backends, sycl: { built: false, reason: 'no icpx' } };
    b.environment.runtimes.computeRuntime = '26.31.0';
    const labels = environmentDiff(a, b).map((f) => f.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'xpudiag version',
        'suite file (sha256)',
        'compute-runtime',
        'device host:0 kernel driver',
        'device ze:0',
        'ZE_AFFINITY_MASK',
        'UR_L0_USM_RESIDENT',
        'sycl backend build',
      ]),
    );
  });
});

describe('compare: redacted reports', () => {
  it('a placeholder on either side is listed but not compared: two machines may both be <host>', () => {
    const a = load('controls-real.json');
    const b = structuredClone(a);
    a.environment.host = 'gpu-box-07';
    const c = compareReports(a, b);
    expect(c.environment).toEqual([{ factor: 'environment.host', label: 'host', before: 'gpu-box-07', after: '<host>', redacted: true }]);
    expect(c.attribution.factors).toEqual([]);
    expect(c.warnings.join()).toMatch(/redacted in one or both reports, so not compared: host/);
    expect(renderCompareText(c)).toMatch(/host\s+gpu-box-07 -> <host>\s+\(redacted: not compared\)/);
  });
});

describe('compare: metric rules', () => {
  const v = (value: number | null, interval?: [number, number]) => ({ metric: 'm', value, ...(interval ? { interval } : {}) });

  it('host cost: intervals decide; without them an absolute tolerance, said so', () => {
    const r = ALLOC_RULES.hostPerDevice!;
    expect(compareMetric(r, v(0.9, [0.85, 0.95]), v(0.8, [0.7, 0.9]), 'h').outcome).toBe('unchanged');
    expect(compareMetric(r, v(0.9, [0.85, 0.95]), v(0.02, [-0.01, 0.05]), 'h').outcome).toBe('improved');
    expect(compareMetric(r, v(0.02, [-0.01, 0.05]), v(0.9, [0.85, 0.95]), 'h').outcome).toBe('regressed');
    const noCi = compareMetric(r, v(0.9), v(0.7), 'h');
    expect(noCi).toMatchObject({ outcome: 'improved', rule: 'no 95% intervals on both sides; practical minimum change 0.045 (0.020 or 5%)' });
  });

  it('host cost below zero is the machine returning memory: two clean readings never regress', () => {
    const c = compareMetric(ALLOC_RULES.hostPerDevice!, v(-0.188, [-0.289, -0.087]), v(-0.007, [-0.013, -0.001]), 'h');
    expect(c.outcome).toBe('unchanged');
    expect(c.rule).toMatch(/below 0 read as 0/);
    expect(c.change).toBeCloseTo(0.181, 3);
  });

  it('fixed host cost: a change must exceed the baseline noise of both runs', () => {
    const r = ALLOC_RULES.hostFixedBytes!;
    const MiB = 2 ** 20;
    const x = (value: number, noise: number) => ({ metric: 'f', value: value * MiB, noiseBytes: noise * MiB });
    expect(compareMetric(r, x(-64, 150), x(887, 887), 'f')).toMatchObject({ outcome: 'unchanged', rule: 'noise of both runs 1.01 GiB, practical minimum change 160 MiB' });
    // Beyond both runs' noise but not the practical margin (160 MiB or 10%): no regression.
    expect(compareMetric(r, x(500, 2), x(580, 2), 'f').outcome).toBe('unchanged');
    expect(compareMetric(r, x(500, 2), x(700, 2), 'f').outcome).toBe('regressed');
    expect(compareMetric(r, x(100, 10), x(400, 20), 'f').outcome).toBe('regressed');
  });

  it('bandwidth higher is better, time lower is better, within 5% is noise', () => {
    expect(compareMetric(ALLREDUCE_ROW_RULES.busbw!, v(100), v(104), 'b').outcome).toBe('unchanged');
    expect(compareMetric(ALLREDUCE_ROW_RULES.busbw!, v(100), v(110), 'b').outcome).toBe('improved');
    expect(compareMetric(ALLREDUCE_ROW_RULES.timeUs!, v(100), v(110), 't').outcome).toBe('regressed');
    expect(compareMetric(ALLREDUCE_ROW_RULES.wrong!, v(3), v(0), 'w').outcome).toBe('improved');
    expect(compareMetric(ALLREDUCE_ROW_RULES.busbw!, v(null), v(10), 'b')).toMatchObject({ outcome: 'undecided', rule: 'only measured after' });
  });

  it('a sweep row that reports its timing spread is judged by it, not by 5%', () => {
    const row = (timeUs: number, minUs: number, p90Us: number) => ({
      bytes: 1 << 20,
      count: 262144,
      algorithm: 'direct-f32',
      timeUs,
      minUs,
      p90Us,
      busbw: 1048.576 / timeUs,
      algbw: 1048.576 / timeUs,
      wrong: 0,
      disagree: 0,
    });
    const report = (r: ReturnType<typeof row>) => ({ ...load('controls-real.json').results[0]!, id: 'sweep', probe: 'allreduce', metrics: { sizes: [r] } });
    const noisy = compareCase(report(row(100, 60, 180)), report(row(130, 90, 200)));
    const t = noisy.metrics.find((m) => m.metric === 'timeUs direct-f32 1 MiB')!;
    expect(t).toMatchObject({ outcome: 'unchanged', rule: 'min..p90 ranges [60.0, 180.0] and [90.0, 200.0] overlap' });
    const slower = compareCase(report(row(100, 95, 105)), report(row(130, 125, 140)));
    expect(slower.metrics.find((m) => m.metric === 'busbw direct-f32 1 MiB')!.outcome).toBe('regressed');
    expect(slower.outcome).toBe('regressed');
  });

  it('statuses and verdicts: good and bad bands; warn, skip and inconclusive decide nothing', () => {
    expect(statusOutcome('pass', 'fail')).toBe('regressed');
    expect(statusOutcome('error', 'pass')).toBe('improved');
    expect(statusOutcome('xfail', 'xpass')).toBe('improved');
    expect(statusOutcome('pass', 'warn')).toBe('undecided');
    expect(statusOutcome('skip', 'fail')).toBe('undecided');
    expect(statusOutcome('pass', 'xfail')).toBe('regressed');
    expect(verdictOutcome('shadow', 'clean')).toBe('improved');
    expect(verdictOutcome('clean', 'shadow')).toBe('regressed');
    expect(verdictOutcome('clean', 'inconclusive')).toBe('undecided');
  });
});
