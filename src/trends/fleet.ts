// Many nodes, one report each (the latest of every host): per case the value on each
// node, the nodes that stand out by the median and the MAD, and the recorded factors
// the outliers share that no other node has ("the 3 outliers all run driver X; the
// other 29 run Y"). A value is an outlier only where its modified z-score passes 3.5
// AND it differs from the median by what the metric's rule counts as a change: the
// rule `compare` uses (its practical minimum; any change for a wrong answer). Statuses
// and verdicts are categorical: a node outside a majority of more than half is an
// outlier, and inconclusive, warned or skipped results decide nothing. Pure.
import { exceeds, practicalMinimum, type Direction } from '../analysis/metric-compare.js';
import { majority, MODIFIED_Z_LIMIT, robustOutliers } from '../analysis/robust.js';
import type { Report } from '../store/build.js';
import { affects, factorsOf, tally, type Factor } from './factors.js';
import { judged, readings, side, type Reading } from './series.js';

/** Fewest nodes with a value before the MAD can name an outlier among them. */
export const MIN_NODES = 5;

export type Side = 'worse' | 'better' | 'different';

export interface FleetValue {
  host: string;
  value: number;
  text: string;
  /** Modified z-score (±Infinity where the MAD is 0 and the value differs). */
  z: number;
}

export interface FleetOutlier {
  host: string;
  text: string;
  side: Side;
  /** In words: "modified z 41.2 (|z| > 3.5), 1.002 against the median 0.001". */
  why: string;
}

export interface FleetMetric {
  metric: string;
  /** The rule's formatter (charts' axes); a function, so JSON output leaves it out. */
  format: (v: number) => string;
  unit?: string;
  direction: Direction;
  n: number;
  median: number | null;
  medianText: string;
  mad: number | null;
  values: FleetValue[];
  /** Nodes whose value could not be judged here (disturbed, inconclusive, not measured), with why. */
  notJudged: { host: string; why: string }[];
  outliers: FleetOutlier[];
  note?: string;
}

export interface SharedFactor {
  factor: string;
  label: string;
  /** The value every outlier has. */
  value: string;
  /** What the other nodes have instead, most common first (null: unset). */
  others: { value: string | null; count: number }[];
}

export interface FleetCase {
  id: string;
  probe: string;
  backend: string;
  nodes: number;
  metrics: FleetMetric[];
  /** Nodes that are worse outliers in this case (any metric, the status or the verdict). */
  outliers: string[];
  /** Factors all of this case's worse outliers share and none of the other nodes with the case has. */
  shared: SharedFactor[];
}

export interface FleetNode {
  host: string;
  suite: string;
  startedAt: string;
  toolVersion: string;
  /** Store id or file of the report taken for this host. */
  source: string;
}

export interface Fleet {
  nodes: FleetNode[];
  cases: FleetCase[];
  /** Every node that is a worse outlier somewhere, with the cases. */
  outliers: { host: string; cases: string[] }[];
  /** Factors every outlier node shares and no other node has, over all cases. */
  shared: SharedFactor[];
  /**
   * Nodes with a judged metric that could not be judged (a disturbed measurement): they
   * can be neither outliers nor vouched for there; measure them again.
   */
  unjudged: { host: string; what: string[] }[];
  method: string;
  warnings: string[];
}

export type FleetReport = Report & { storeId?: number; sourceFile?: string };

export const FLEET_METHOD =
  `median and MAD per metric over the nodes (modified z-score 0.6745 (x - median) / MAD, Iglewicz & Hoaglin): ` +
  `an outlier beyond |z| > ${MODIFIED_Z_LIMIT} that also differs from the median by the metric's practical minimum change ` +
  `(any change for a wrong answer); statuses and verdicts: outside a majority of more than half; at least ${MIN_NODES} nodes per metric`;

/** The latest report of each host (by startedAt), hosts in name order. */
export function latestPerHost<T extends Report>(reports: readonly T[]): T[] {
  const best = new Map<string, T>();
  for (const r of reports) {
    const cur = best.get(r.environment.host);
    if (!cur || r.startedAt > cur.startedAt) best.set(r.environment.host, r);
  }
  return [...best.values()].sort((a, b) => a.environment.host.localeCompare(b.environment.host));
}

function metricOf(key: string, rows: { host: string; reading: Reading }[]): FleetMetric {
  const rule = rows[0]!.reading.rule;
  const usable = rows.filter((r) => r.reading.value !== null && !r.reading.notJudged);
  const notJudged = rows.filter((r) => !usable.includes(r)).map((r) => ({ host: r.host, why: r.reading.notJudged ?? 'not measured' }));
  const base = { metric: key, format: rule.format, ...(rule.unit ? { unit: rule.unit } : {}), direction: rule.direction, n: usable.length, notJudged };
  const xs = usable.map((r) => judged(rule, r.reading.value!));
  if (key === 'status' || key === 'verdict') return categorical(key, rule, usable, xs, base);
  if (usable.length < MIN_NODES) {
    const values = usable.map((r, i) => ({ host: r.host, value: xs[i]!, text: rule.format(xs[i]!), z: 0 }));
    return { ...base, median: null, medianText: '-', mad: null, values, outliers: [], note: `${usable.length} nodes with a value: too few for outliers (at least ${MIN_NODES})` };
  }
  const minimum = practicalMinimum(rule);
  const s = robustOutliers(xs, { differs: (m, v) => (minimum ? exceeds(rule, minimum, m, v)[0] : v !== m) });
  const values = usable.map((r, i) => ({ host: r.host, value: xs[i]!, text: rule.format(xs[i]!), z: s.scores[i]! }));
  const outliers = s.outliers.map((i): FleetOutlier => {
    const z = s.scores[i]!;
    const zText = Number.isFinite(z) ? `modified z ${z.toFixed(1)}` : 'every other node reads the median exactly (MAD 0)';
    const tol = minimum ? exceeds(rule, minimum, s.median, xs[i]!)[1] : 'any change counts';
    return {
      host: usable[i]!.host,
      text: rule.format(xs[i]!),
      side: side(rule, s.median, xs[i]!),
      why: `${rule.format(xs[i]!)} against the median ${rule.format(s.median)}: ${zText}, beyond the ${tol}`,
    };
  });
  return { ...base, median: s.median, medianText: rule.format(s.median), mad: s.mad, values, outliers };
}

function categorical(
  key: string,
  rule: Reading['rule'],
  usable: { host: string; reading: Reading }[],
  xs: number[],
  base: Omit<FleetMetric, 'median' | 'medianText' | 'mad' | 'values' | 'outliers' | 'note'>,
): FleetMetric {
  const values = usable.map((r, i) => ({ host: r.host, value: xs[i]!, text: r.reading.label ?? rule.format(xs[i]!), z: 0 }));
  const maj = majority(xs);
  if (!maj) {
    return { ...base, median: null, medianText: '-', mad: null, values, outliers: [], ...(usable.length ? { note: `no ${key} is shared by more than half of the ${usable.length} nodes` } : {}) };
  }
  const outliers = usable.flatMap((r, i): FleetOutlier[] =>
    xs[i] === maj.value
      ? []
      : [
          {
            host: r.host,
            text: values[i]!.text,
            side: side(rule, maj.value, xs[i]!),
            why: `${key} ${values[i]!.text} where ${maj.count} of ${usable.length} nodes read ${rule.format(maj.value)}`,
          },
        ],
  );
  return { ...base, median: maj.value, medianText: rule.format(maj.value), mad: null, values, outliers };
}

/** Factors all of `outliers` share (one value) that none of `others` has; limited to what can affect `backend` if given. */
export function sharedFactors(outliers: readonly FleetReport[], others: readonly FleetReport[], backend?: string): SharedFactor[] {
  if (!outliers.length || !others.length) return [];
  const fo = outliers.map(factorsOf);
  const fr = others.map(factorsOf);
  const out: SharedFactor[] = [];
  for (const [factor, f] of fo[0]!) {
    if (f.redacted || (backend && !affects(f, backend))) continue;
    if (!fo.every((m) => m.get(factor)?.value === f.value)) continue;
    const theirs = fr.map((m) => m.get(factor)?.value ?? null);
    if (theirs.some((v) => v === f.value)) continue;
    out.push({ factor, label: f.label, value: f.value, others: tally(theirs) });
  }
  // Factors the others agree on among themselves first: "the other 29 run 1.6.34250".
  return out.sort((a, b) => a.others.length - b.others.length || a.factor.localeCompare(b.factor));
}

export function analyzeFleet(reports: readonly FleetReport[]): Fleet {
  const latest = latestPerHost(reports);
  const warnings: string[] = [];
  if (latest.length < reports.length) warnings.push(`${reports.length - latest.length} older reports of the same hosts left out (the latest of each host counts)`);
  const byHost = new Map(latest.map((r) => [r.environment.host, r]));
  const caseIds: string[] = [];
  for (const r of latest) for (const x of r.results) if (!caseIds.includes(x.id)) caseIds.push(x.id);
  const cases: FleetCase[] = caseIds.map((id) => {
    const rows = latest.flatMap((r) => {
      const x = r.results.find((y) => y.id === id);
      return x ? [{ host: r.environment.host, result: x }] : [];
    });
    const keys: string[] = [];
    const per = rows.map((row) => {
      const m = new Map(readings(row.result).map((rd) => [rd.metric, rd]));
      for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
      return m;
    });
    const metrics = keys.map((k) =>
      metricOf(
        k,
        rows.flatMap((row, i) => (per[i]!.has(k) ? [{ host: row.host, reading: per[i]!.get(k)! }] : [])),
      ),
    );
    const worse = [...new Set(metrics.flatMap((m) => m.outliers.filter((o) => o.side === 'worse').map((o) => o.host)))].sort();
    const backend = rows[0]!.result.backend;
    // A node that could not be judged is no evidence either way: it is neither an outlier nor one of "the others".
    const unjudgedHere = new Set(metrics.flatMap((m) => m.notJudged.filter((n) => !/not measured/.test(n.why)).map((n) => n.host)));
    const others = rows.filter((r) => !worse.includes(r.host) && !unjudgedHere.has(r.host)).map((r) => byHost.get(r.host)!);
    const shared = sharedFactors(
      worse.map((h) => byHost.get(h)!),
      others,
      backend,
    );
    return { id, probe: rows[0]!.result.probe, backend, nodes: rows.length, metrics, outliers: worse, shared };
  });
  const outlierHosts = [...new Set(cases.flatMap((c) => c.outliers))].sort();
  const outliers = outlierHosts.map((host) => ({ host, cases: cases.filter((c) => c.outliers.includes(host)).map((c) => c.id) }));
  const unjudged = latest
    .map((r) => r.environment.host)
    .map((host) => ({
      host,
      what: cases.flatMap((c) =>
        c.metrics
          .filter((m) => m.metric !== 'status' && m.metric !== 'verdict')
          .flatMap((m) => m.notJudged.filter((n) => n.host === host && !/not measured/.test(n.why)).map((n) => `${c.id} ${m.metric}: ${n.why}`)),
      ),
    }))
    .filter((u) => u.what.length);
  const unjudgedHosts = new Set(unjudged.map((u) => u.host));
  const shared = sharedFactors(
    outlierHosts.map((h) => byHost.get(h)!),
    latest.filter((r) => !outlierHosts.includes(r.environment.host) && !unjudgedHosts.has(r.environment.host)),
  );
  if (latest.length < MIN_NODES)
    warnings.push(`${latest.length} node${latest.length === 1 ? '' : 's'}: too few to name outliers by the MAD (at least ${MIN_NODES}); statuses and verdicts are still compared`);
  const nodes = latest.map((r) => ({
    host: r.environment.host,
    suite: r.suite.name,
    startedAt: r.startedAt,
    toolVersion: r.tool.version,
    source: r.storeId !== undefined ? `store #${r.storeId}` : (r.sourceFile ?? ''),
  }));
  const suites = new Set(latest.map((r) => r.suite.name));
  if (suites.size > 1) warnings.push(`the nodes ran different suites (${[...suites].join(', ')}): cases are compared by id across them`);
  return { nodes, cases, outliers, shared, unjudged, method: FLEET_METHOD, warnings };
}

export type { Factor };
