// Controls are the run's trust (issue 14): they bracket the measured cases, whatever
// --backend or --level selects; each is judged against its truth; a run they cannot vouch
// for exits 4; progress, journal and report say the same thing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../src/model/result.js';
import { allocProbe } from '../../src/probes/alloc/index.js';
import { exitCodeFor, combineExitCodes } from '../../src/store/build.js';
import { reportErrors } from '../../src/store/schema.js';
import { RunTrust } from '../../src/runner/judge.js';
import { planRun } from '../../src/runner/run-suite.js';
import { loadSuite } from '../../src/suite/index.js';
import { reportIn, root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const result = (id: string, status: CaseResult['status'], extra: Partial<CaseResult> = {}): CaseResult => ({
  id,
  probe: 'alloc',
  backend: 'host',
  params: {},
  options: {},
  status,
  reason: `${status} reason`,
  metrics: {},
  samples: [],
  startedAt: '2026-12-01T00:00:00Z',
  durationMs: 1,
  ...extra,
});
const control = (id: string, ok: boolean, judged = true): CaseResult =>
  result(id, ok ? 'pass' : judged ? 'fail' : 'warn', { control: 'positive', controlCheck: { ok, judged, reason: `positive control read ${ok ? 'its truth' : 'nonsense'}` } });

describe('the trust of a run', () => {
  it('plans the controls before and after the measured cases', () => {
    const suite = loadSuite(join(root, 'suites', 'shadowing.yaml'));
    const plan = planRun(suite.cases);
    expect(plan.slice(0, 2).map((p) => [p.c.id, p.bracket])).toEqual([
      ['control-negative', 'opening'],
      ['control-positive', 'opening'],
    ]);
    expect(plan.slice(-2).map((p) => [p.c.id, p.bracket])).toEqual([
      ['control-negative@closing', 'closing'],
      ['control-positive@closing', 'closing'],
    ]);
    expect(plan.filter((p) => !p.bracket)).toHaveLength(suite.cases.length - 2);
    // A suite of controls alone runs them once.
    expect(planRun(suite.cases.filter((c) => c.control)).map((p) => p.bracket)).toEqual(['opening', 'opening']);
  });

  it('a closing control that fails revises the verdicts measured since the opening ones', () => {
    const run = new RunTrust(true, () => true);
    expect(run.accept(control('c', true), 'opening').result.bracket).toBe('opening');
    const measured = run.accept(result('m', 'pass'));
    expect(measured.result.status).toBe('pass');
    expect(run.accept(result('bad', 'fail')).result.status).toBe('fail');
    expect(run.accept(result('unsure', 'warn')).result.status).toBe('warn');
    const { revised } = run.accept(control('c@closing', false), 'closing');
    expect(revised.map((r) => [r.result.id, r.was, r.result.status])).toEqual([
      ['m', 'pass', 'warn'],
      ['bad', 'fail', 'warn'],
    ]);
    expect(revised[0]!.result.reason).toMatch(/^untrustworthy \(closing c@closing: positive control read nonsense\): pass reason$/);
    expect(run.trust()).toMatchObject({ trusted: false, reasons: ['closing c@closing: positive control read nonsense'] });
    expect(run.results.map((r) => r.status)).toEqual(['pass', 'warn', 'warn', 'warn', 'fail']);
  });

  it('an opening control that fails downgrades verdicts as they arrive; probes whose verdicts do not rest on it keep theirs', () => {
    const run = new RunTrust(true, (p) => p === 'alloc');
    run.accept(control('c', false), 'opening');
    expect(run.accept(result('m', 'pass')).result.status).toBe('warn');
    expect(run.accept(result('ar', 'pass', { probe: 'allreduce' })).result.status).toBe('pass');
    // A control that could not be judged is no vouching either.
    const unsure = new RunTrust(true, () => true);
    unsure.accept(control('c', false, false), 'opening');
    expect(unsure.trust()!.trusted).toBe(false);
    // ... unless its other reading vouches: too noisy is not wrong.
    unsure.accept(control('c@closing', true), 'closing');
    expect(unsure.trust()).toMatchObject({ trusted: true, reasons: [], notes: ['opening c: positive control read nonsense'] });
    // A reading that contradicts its truth is never outvoted.
    const liar = new RunTrust(true, () => true);
    liar.accept(control('c', false), 'opening');
    liar.accept(control('c@closing', true), 'closing');
    expect(liar.trust()!.trusted).toBe(false);
  });

  it('judges a control against its truth, not only its verdict', () => {
    const j = (role: 'negative' | 'positive', slope: number, ci: [number, number], verdict: string) =>
      allocProbe.judgeControl!(role, { hostPerDevice: slope, hostPerDeviceCI: ci, verdict }, undefined);
    // The positive controls of issue 14 that passed before.
    expect(j('positive', 1.346, [1.06, 1.631], 'shadow')).toMatchObject({ ok: false, judged: true });
    expect(j('positive', 0.865, [0.775, 0.956], 'shadow').reason).toMatch(/truth 1 lies outside the interval by more than the tolerance 0\.02/);
    expect(j('positive', 1.003, [1.002, 1.003], 'shadow')).toMatchObject({ ok: true });
    expect(j('positive', 0.98, [0.97, 0.99], 'shadow')).toMatchObject({ ok: true });
    expect(j('negative', 0.001, [0, 0.002], 'clean')).toMatchObject({ ok: true });
    expect(j('negative', 0.08, [0.06, 0.09], 'clean')).toMatchObject({ ok: false });
    expect(j('negative', 0.3, [0.2, 0.4], 'shadow').reason).toMatch(/instead of clean/);
    expect(j('positive', 0.5, [0, 1], 'inconclusive')).toMatchObject({ ok: false, judged: false });
  });

  it('exit 4 when untrusted or nothing reached a verdict; a failed check outranks it; --allow-untrusted opts out', () => {
    const summary = { pass: 1, fail: 0, warn: 0, skip: 0, error: 0, xfail: 0, xpass: 0, total: 1 };
    const results = [result('m', 'pass')];
    const untrusted = { trusted: false, reasons: ['x'] };
    expect(exitCodeFor({ summary, results })).toBe(0);
    expect(exitCodeFor({ summary, results, trust: untrusted })).toBe(4);
    expect(exitCodeFor({ summary, results, trust: untrusted }, true)).toBe(0);
    expect(exitCodeFor({ summary: { ...summary, pass: 0, warn: 3 }, results })).toBe(4);
    expect(exitCodeFor({ summary, results: [result('m', 'fail')], trust: untrusted })).toBe(1);
    // A failed control is the run's trust failing, not a failed check.
    expect(exitCodeFor({ summary, results: [control('c', false), result('m', 'warn')], trust: untrusted })).toBe(4);
    expect(combineExitCodes([0, 4, 0])).toBe(4);
    expect(combineExitCodes([4, 1])).toBe(1);
  });
});

describe('controls in a real run', () => {
  it('run even when --backend selects another backend, bracket the run, and an untrusted run exits 4', () => {
    const dir = tempDir();
    // A "positive" control that cannot read its truth: lazy memory costs nothing.
    const suite = writeSuite(
      dir,
      'untrusted.yaml',
      `name: untrusted
defaults: { size: 64MiB, count: 8, baselineMs: 1500, settleMs: 1500 }
cases:
  - { id: liar, probe: alloc, backend: host, control: positive, expect: { verdict: shadow }, params: { variant: mmap-lazy } }
  - { id: measured, probe: alloc, backend: host, params: { variant: mmap-populate } }
  - { id: elsewhere, probe: alloc, backend: ze, params: { variant: zeMemAllocDevice } }
`,
    );
    const out = join(dir, 'out');
    const r = xpudiag(['run', suite, '--out', out, '--backend', 'host']);
    expect(r.code, r.stderr).toBe(4);
    // The opening liar may read nothing it can be judged by on a busy moment; then the closing one is named.
    expect(r.stderr).toMatch(/exit 4, untrusted: the controls cannot vouch for this run: (opening liar|closing liar@closing): positive control read -?0\.\d{3} \[.*?\] clean instead of shadow/);
    const report = reportIn(out);
    expect(reportErrors(report)).toEqual([]);
    // The liar reads clean (fail), or on a busy moment nothing it can be judged by (warn): never ok.
    const liarStatus = (s: string) => (s === 'warn' ? 'fail' : s);
    expect(report.results.map((x: CaseResult) => [x.id, x.control ? liarStatus(x.status) : x.status, x.bracket ?? null])).toEqual([
      ['liar', 'fail', 'opening'],
      ['measured', 'warn', null],
      ['elsewhere', 'skip', null],
      ['liar@closing', 'fail', 'closing'],
    ]);
    expect(report.results[1].reason).toMatch(/^untrustworthy \(opening liar: positive control/);
    expect(report.trust.controls.map((c: { bracket: string; ok: boolean }) => [c.bracket, c.ok])).toEqual([
      ['opening', false],
      ['closing', false],
    ]);
    // The journal holds what progress showed: the same statuses, in the same order.
    const journal = readFileSync(
      join(
        out,
        readdirSync(out).find((f) => f.endsWith('.journal.jsonl'))!,
      ),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(journal.filter((e) => e.type === 'result').map((e) => e.result.status)).toEqual(report.results.map((x: CaseResult) => x.status));
    expect(r.stderr).toMatch(new RegExp(`${report.results[0].status.toUpperCase()}\\s+\\[1/4\\] liar[\\s\\S]*WARN\\s+\\[2/4\\] measured`));
    expect(xpudiag(['run', suite, '--out', out, '--backend', 'host', '--allow-untrusted']).code).toBe(0);
  }, 240_000);
});
