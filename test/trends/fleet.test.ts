// fleet over staged nodes: exactly the different ones, the factor they share, nothing
// where nothing differs; the Prometheus text a textfile collector reads.
import { describe, expect, it } from 'vitest';
import { analyzeFleet, latestPerHost, sharedFactors } from '../../src/trends/fleet.js';
import { fleetHtml } from '../../src/trends/html.js';
import { labelValue, prometheusText } from '../../src/trends/prometheus.js';
import { renderFleetMarkdown, renderFleetText } from '../../src/trends/render-fleet.js';
import { CASE, noise, staged } from '../helpers/trend-reports.js';

const host = (i: number) => `node-${String(i + 1).padStart(2, '0')}`;

/** 32 nodes, host cost about 0.002 (sd 0.002); those in `bad` on driver 1.6.33578+15 with `badValue`. */
function fleet(bad: number[], badValue = 0.06, seed = 4) {
  const e = noise(seed, 32);
  return e.map((n, i) =>
    staged({
      host: host(i),
      t: i,
      driver: bad.includes(i) ? '1.6.33578+15' : '1.6.34250+3',
      hostPerDevice: (bad.includes(i) ? badValue : 0.002) + 0.002 * n,
      kernel: i % 2 ? '6.1.0-28-amd64' : '6.1.0-30-amd64',
    }),
  );
}

describe('fleet', () => {
  it('names exactly the 3 that differ and the driver they share, not the kernel that varies', () => {
    const f = analyzeFleet(fleet([4, 17, 30]));
    expect(f.outliers).toEqual([4, 17, 30].map((i) => ({ host: host(i), cases: [CASE] })));
    expect(f.shared).toEqual([{ factor: 'runtimes.levelZeroDriver', label: 'Level Zero driver', value: '1.6.33578+15', others: [{ value: '1.6.34250+3', count: 29 }] }]);
    const m = f.cases[0]!.metrics.find((x) => x.metric === 'hostPerDevice')!;
    expect(m.outliers.map((o) => o.side)).toEqual(['worse', 'worse', 'worse']);
    expect(m.outliers[0]!.why).toMatch(/against the median 0\.00\d: modified z \d+\.\d, beyond the practical minimum change 0\.020/);
    expect(renderFleetText(f)).toMatch(/the 3 outliers all have Level Zero driver 1\.6\.33578\+15; the other 29: 1\.6\.34250\+3/);
  });

  it('finds no outlier among 32 nodes that do not differ, over many noise draws', () => {
    for (let seed = 1; seed <= 20; seed++) expect(analyzeFleet(fleet([], 0, seed)).outliers, `seed ${seed}`).toEqual([]);
  });

  it('a node better than the fleet is listed but is no outlier; a difference under the practical minimum is none', () => {
    const better = fleet([]);
    better[3] = staged({ host: host(3), hostPerDevice: 0.002 - 0.5 }); // reads as 0 (the floor): no change
    const hi = fleet([]).map((r, i) => (i === 5 ? staged({ host: host(5), hostPerDevice: 0.015 }) : r));
    expect(analyzeFleet(better).outliers).toEqual([]);
    expect(analyzeFleet(hi).outliers).toEqual([]);
  });

  it('a verdict or status outside the majority is an outlier; inconclusive decides nothing', () => {
    const nodes = fleet([]);
    nodes[2] = staged({ host: host(2), hostPerDevice: 0.002, verdict: 'inconclusive', status: 'warn' });
    nodes[9] = staged({ host: host(9), hostPerDevice: 0.002, status: 'error' });
    const f = analyzeFleet(nodes);
    expect(f.outliers.map((o) => o.host)).toEqual([host(9)]);
    const status = f.cases[0]!.metrics.find((m) => m.metric === 'status')!;
    expect(status.outliers[0]!.why).toBe('status error where 30 of 31 nodes read good');
    expect(status.notJudged).toEqual([{ host: host(2), why: 'status warn' }]);
  });

  it('takes the latest report of each host, and says when there are too few nodes', () => {
    const old = staged({ host: 'a', t: 1, hostPerDevice: 0.9 });
    const now = staged({ host: 'a', t: 2, hostPerDevice: 0.001 });
    expect(latestPerHost([now, old, staged({ host: 'b' })]).map((r) => [r.environment.host, r.startedAt])).toEqual([
      ['a', now.startedAt],
      ['b', staged().startedAt],
    ]);
    const f = analyzeFleet([old, now, staged({ host: 'b' })]);
    expect(f.nodes).toHaveLength(2);
    expect(f.warnings.join('\n')).toMatch(/1 older reports of the same hosts left out[\s\S]*2 nodes: too few to name outliers by the MAD \(at least 5\)/);
  });

  it('shared factors: only one value all outliers have and no other node has', () => {
    const a = staged({ host: 'a', driver: 'x', kernel: 'k1' });
    const b = staged({ host: 'b', driver: 'x', kernel: 'k2' });
    const c = staged({ host: 'c', driver: 'y', kernel: 'k1' });
    expect(sharedFactors([a, b], [c]).map((s) => s.factor)).toEqual(['runtimes.levelZeroDriver']);
    expect(sharedFactors([a, c], [b]).map((s) => s.factor)).toEqual(['environment.kernel']);
    expect(sharedFactors([a], [b, c])).toEqual([]);
  });

  it('writes the Prometheus text format: HELP and TYPE per family, escaped labels, one outlier flag per node and case', () => {
    const nodes = fleet([4]);
    const f = analyzeFleet(nodes);
    const text = prometheusText(f, nodes);
    const line = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.e+-]+|[+-]Inf|NaN)$/;
    for (const l of text.trim().split('\n')) if (!l.startsWith('# ')) expect(l).toMatch(line);
    expect(text).toMatch(/^# TYPE xpudiag_case_value gauge$/m);
    expect(text).toContain(`xpudiag_fleet_outlier{host="node-05",case="${CASE}"} 1`);
    expect(text).toContain(`xpudiag_fleet_outlier{host="node-06",case="${CASE}"} 0`);
    expect(text).toMatch(/xpudiag_case_value\{host="node-05",[^}]*metric="hostPerDevice",unit="host B \/ device B"\} 0\.0[56]\d*$/m);
    expect(labelValue('a "b"\\c\nd')).toBe('a \\"b\\"\\\\c\\nd');
  });

  it('renders Markdown and HTML with the outliers marked', () => {
    const f = analyzeFleet(fleet([4, 17, 30]));
    expect(renderFleetMarkdown(f)).toMatch(/\*\*Outliers: `node-05`, `node-18`, `node-31`\*\*/);
    const html = fleetHtml(f);
    expect(html.match(/class="outlier"/g)?.length).toBe(3);
  });
});
