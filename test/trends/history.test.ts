// history over staged reports: where the change is, which way, and what changed there.
import { describe, expect, it } from 'vitest';
import { caseHistory, metricsOf } from '../../src/trends/history.js';
import { historyHtml } from '../../src/trends/html.js';
import { renderHistoryMarkdown, renderHistoryText } from '../../src/trends/render-history.js';
import { CASE, noise, staged } from '../helpers/trend-reports.js';

const build = (b: number) => `1.6.${34200 + b}+1`;

/** 40 builds on one host: host cost about 0.002 (sd 0.002), from build `at` on `after`. */
function builds(at: number, after: number, seed = 1, extra: (b: number) => Parameters<typeof staged>[0] = () => ({}), before = 0.002) {
  const e = noise(seed, 40);
  return e.map((n, i) => staged({ t: i, driver: build(i + 1), hostPerDevice: (i + 1 >= at ? after : before) + 0.002 * n, ...extra(i + 1) }));
}

describe('history', () => {
  it('finds a regression at the build it starts, names the driver change and what else changed there', () => {
    const reports = builds(25, 0.06, 1, (b) => (b >= 25 ? { variables: { ZE_AFFINITY_MASK: '0,1' } } : {}));
    const h = caseHistory(CASE, reports, { order: 'driver' });
    const m = h.hosts[0]!.metrics.find((x) => x.metric === 'hostPerDevice')!;
    expect(m.changes).toHaveLength(1);
    const c = m.changes[0]!;
    expect(c.index).toBe(24);
    expect(c.at.driver).toBe(build(25));
    expect(c.outcome).toBe('regressed');
    expect(c.before.n).toBe(24);
    expect(c.after.n).toBe(16);
    // The variable holds on each whole side; the driver changes at every build, so it holds on neither.
    const mask = c.factors.find((f) => f.factor === 'variables.ZE_AFFINITY_MASK')!;
    expect(mask).toMatchObject({ before: null, after: '0,1', beforeShare: [24, 24], afterShare: [16, 16] });
    const driver = c.factors.find((f) => f.factor === 'runtimes.levelZeroDriver')!;
    expect(driver).toMatchObject({ before: build(24), after: build(25), beforeShare: [1, 24], afterShare: [1, 16] });
    expect(c.factors[0]!.factor).toBe('variables.ZE_AFFINITY_MASK');
    expect(h.regression).toBe(true);
    expect(h.regressions).toEqual([{ host: 'node-01', metric: 'hostPerDevice', at: c.at }]);
    expect(m.noise).toBeGreaterThan(0.001);
    expect(m.noise).toBeLessThan(0.006);
  });

  it('an improvement is no regression; a significant change below the practical minimum is negligible', () => {
    const fixed = caseHistory(
      CASE,
      builds(20, 0.002, 1, () => ({}), 0.3),
      { order: 'driver' },
    );
    expect(fixed.hosts[0]!.metrics.find((x) => x.metric === 'hostPerDevice')!.changes.map((c) => c.outcome)).toEqual(['improved']);
    expect(fixed.regression).toBe(false);
    // +0.012: ten times the noise, but under the rule's 0.02.
    const tiny = caseHistory(CASE, builds(20, 0.014), { order: 'driver' });
    const c = tiny.hosts[0]!.metrics.find((x) => x.metric === 'hostPerDevice')!.changes;
    expect(c.map((x) => x.outcome)).toEqual(['negligible']);
    expect(c[0]!.rule).toMatch(/within the practical minimum change 0\.020/);
    expect(tiny.regression).toBe(false);
  });

  it('finds nothing in a series without a change, and sees a verdict that flips', () => {
    const h = caseHistory(CASE, builds(99, 0), { order: 'driver' });
    expect(h.hosts[0]!.metrics.flatMap((m) => m.changes)).toEqual([]);
    const flip = caseHistory(CASE, builds(30, 0.9), { order: 'driver' });
    const verdict = flip.hosts[0]!.metrics.find((m) => m.metric === 'verdict')!;
    expect(verdict.changes.map((c) => [c.index, c.outcome, c.before.text, c.after.text])).toEqual([[29, 'regressed', 'clean', 'shadow']]);
  });

  it('--since: only change points from that build or date on count', () => {
    const reports = builds(25, 0.06);
    expect(caseHistory(CASE, reports, { order: 'driver', since: build(26) }).regression).toBe(false);
    expect(caseHistory(CASE, reports, { order: 'driver', since: build(25) }).regression).toBe(true);
    expect(caseHistory(CASE, reports, { order: 'driver', since: '2026-11-01T23:00:00Z' }).regression).toBe(true);
    expect(caseHistory(CASE, reports, { order: 'driver', since: '2026-11-02T01:00:00Z' }).regression).toBe(false);
  });

  it('orders by driver build or by time, and keeps hosts apart', () => {
    // Builds run out of order in time: the step is at build 25 by driver, scattered by time.
    const reports = builds(25, 0.06).map((r, i) => ({ ...r, startedAt: new Date(Date.UTC(2026, 10, 1) + ((i * 17) % 40) * 3_600_000).toISOString() }));
    const byDriver = caseHistory(CASE, reports, { order: 'driver', metric: 'hostPerDevice' });
    expect(byDriver.hosts[0]!.metrics[0]!.points.map((p) => p.driver)).toEqual(reports.map((r) => r.environment.runtimes.levelZeroDriver));
    expect(byDriver.hosts[0]!.metrics[0]!.changes.map((c) => c.index)).toEqual([24]);
    const byTime = caseHistory(CASE, reports, { order: 'time', metric: 'hostPerDevice' });
    expect(byTime.hosts[0]!.metrics[0]!.changes.map((c) => c.index)).not.toEqual([24]);
    const two = caseHistory(CASE, [...builds(99, 0, 2), ...builds(99, 0, 3).map((r) => ({ ...r, environment: { ...r.environment, host: 'node-02' } }))]);
    expect(two.hosts.map((h) => [h.host, h.metrics[0]!.points.length])).toEqual([
      ['node-01', 40],
      ['node-02', 40],
    ]);
    expect(caseHistory(CASE, two.hosts.length ? [...builds(99, 0, 2)] : [], { host: 'node-09' }).hosts).toEqual([]);
  });

  it('leaves disturbed values out of the search, and says when there are too few', () => {
    const reports = builds(25, 0.06);
    reports[3]!.results[0]!.metrics.disturbed = 'a neighbour moved 300 MiB';
    const m = caseHistory(CASE, reports, { metric: 'hostPerDevice' }).hosts[0]!.metrics[0]!;
    expect(m.judgedCount).toBe(39);
    expect(m.points[3]!.notJudged).toMatch(/disturbed/);
    expect(m.changes.map((c) => c.index)).toEqual([24]);
    const few = caseHistory(CASE, reports.slice(0, 5)).hosts[0]!.metrics[0]!;
    expect(few.note).toMatch(/too few to search for a change \(at least 6\)/);
    expect(metricsOf(CASE, reports)).toEqual(['status', 'verdict', 'hostPerDevice', 'releasedFraction', 'hostFixedBytes']);
  });

  it('renders for a terminal, Markdown and HTML with the change point in each', () => {
    const h = caseHistory(CASE, builds(25, 0.06), { order: 'driver' });
    const text = renderHistoryText(h);
    expect(text).toMatch(/REGRESSED at driver 1\.6\.34225\+1 \(result 25 of 40/);
    expect(text).toMatch(/Level Zero driver 1\.6\.34224\+1 -> 1\.6\.34225\+1 \(1 of 24 before, 1 of 16 after\)/);
    expect(text).toMatch(/^regression: hostPerDevice on node-01 from driver 1\.6\.34225\+1$/m);
    expect(renderHistoryMarkdown(h)).toMatch(/\*\*REGRESSED\*\* at driver 1\.6\.34225\+1/);
    const html = historyHtml(h);
    expect(html).toMatch(/Content-Security-Policy/);
    expect(html.match(/class="changepoint"/g)).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(h)).hosts[0].metrics[0].format).toBeUndefined();
  });
});
