// compare of several reports per side (run --repeat N): the spread between runs decides,
// by a rank test with each metric's practical minimum change, and says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { compareRuns } from '../../src/report/compare-runs.js';
import { renderCompareText } from '../../src/report/render-compare.js';
import { lcg } from '../helpers/samples.js';
import { root } from '../helpers/cli.js';

const real = (): Report => JSON.parse(readFileSync(join(root, 'fixtures', 'reports', 'controls-real.json'), 'utf8')) as Report;

/** n reports whose malloc[touch=fill] case reads `level` plus run-to-run spread, each with its own tight interval. */
function runs(n: number, level: number, seed: number, spread = 0.004): Report[] {
  const rnd = lcg(seed);
  return Array.from({ length: n }, () => {
    const r = real();
    for (const x of r.results) {
      const v = (x.id === 'malloc[touch=fill]' ? level : (x.metrics.hostPerDevice as number)) + rnd() * spread;
      x.metrics = { ...x.metrics, hostPerDevice: v, hostPerDeviceCI: [v - 0.001, v + 0.001], fitResidualBytes: 1e4 * (1 + rnd()) };
    }
    return r;
  });
}

describe('compare of several runs per side', () => {
  it('A/A: runs of one distribution, each with intervals too tight to overlap, find nothing', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = compareRuns(runs(5, 0.3, seed), runs(5, 0.3, seed + 100));
      expect(c.summary, `seed ${seed}`).toMatchObject({ regressed: 0, improved: 0, changed: 0 });
    }
  });

  it('A/B: 0.02 -> 0.05 host bytes per device byte is a regression, with the rule it used', () => {
    const c = compareRuns(runs(5, 0.02, 1), runs(5, 0.05, 2));
    expect(c.regression).toBe(true);
    const m = c.cases.find((x) => x.id === 'malloc[touch=fill]')!.metrics.find((x) => x.metric === 'hostPerDevice')!;
    expect(m.outcome).toBe('regressed');
    expect(m.rule).toMatch(/^Mann-Whitney U p = 0\.0079 \(exact, 5 vs 5 runs, alpha 0\.01\), median change beyond the practical minimum change 0\.020/);
    expect(c.method).toMatch(/5 vs 5 runs: Mann-Whitney U per metric at alpha 0\.01/);
    expect(renderCompareText(c)).toMatch(/judged by: 5 vs 5 runs/);
  });

  it('too few runs for the chosen alpha: undecided, saying how many to run', () => {
    const c = compareRuns(runs(3, 0.02, 1), runs(3, 0.5, 2));
    const m = c.cases.find((x) => x.id === 'malloc[touch=fill]')!.metrics.find((x) => x.metric === 'hostPerDevice')!;
    expect(m.outcome).toBe('undecided');
    expect(m.rule).toMatch(/too few runs for the rank test at alpha 0\.01 \(3 vs 3 runs\): run --repeat 5 on each side/);
    // A looser alpha can decide with 4 a side.
    expect(compareRuns(runs(4, 0.02, 1), runs(4, 0.5, 2), { alpha: 0.05 }).regression).toBe(true);
  });

  it("a status that turns bad in every run is a regression by Fisher's test; one bad run of five is not", () => {
    const bad = (rs: Report[], k: number) => rs.map((r, i) => (i < k ? { ...r, results: r.results.map((x) => (x.id === 'malloc[touch=none]' ? { ...x, status: 'fail' as const } : x)) } : r));
    const all = compareRuns(runs(5, 0.3, 1), bad(runs(5, 0.3, 2), 5));
    expect(all.cases.find((x) => x.id === 'malloc[touch=none]')!.status).toMatchObject({ before: '5 pass', after: '5 fail', outcome: 'regressed' });
    const one = compareRuns(runs(5, 0.3, 1), bad(runs(5, 0.3, 2), 1));
    expect(one.cases.find((x) => x.id === 'malloc[touch=none]')!.status.outcome).toBe('unchanged');
  });
});
