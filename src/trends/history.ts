// One case over many reports (builds of a driver, nights of CI): per host its series
// of each judged metric, ordered by time or by driver build, the change points found
// in it, and at each change point the recorded factors that changed. Series of
// different hosts are never mixed: a change at a switch of machine would be the
// machine. Pure: reports in, a History out; the CLI renders it.
import { changePoints, CHANGEPOINT_DEFAULTS, describeMethod, type ChangePointOptions } from '../analysis/changepoints.js';
import { exceeds, practicalMinimum, type Direction } from '../analysis/metric-compare.js';
import { mad } from '../analysis/robust.js';
import { median } from '../analysis/stats.js';
import type { CaseResult } from '../model/result.js';
import type { Report } from '../store/build.js';
import { environmentDiff } from '../report/env-diff.js';
import { affects, factorsOf } from './factors.js';
import { compareVersions, driverOf, judged, readings, side, type Reading } from './series.js';

export type Order = 'time' | 'driver';

export interface HistoryPoint {
  /** Store id of the report, where it came from a store. */
  reportId?: number;
  startedAt: string;
  driver: string | null;
  toolVersion: string;
  status: string;
  value: number | null;
  text: string;
  /** Why this value is not part of the analysis (disturbed, not measured, inconclusive). */
  notJudged?: string;
}

export interface ChangedFactor {
  factor: string;
  label: string;
  before: string | null;
  after: string | null;
  /** Results of the segment before that have the before-value, of how many. */
  beforeShare: [number, number];
  afterShare: [number, number];
}

export interface HistoryChange {
  /** Index into the metric's points of the first result after the change. */
  index: number;
  at: HistoryPoint;
  /** The last result before it. */
  previous: HistoryPoint;
  before: { median: number; n: number; text: string };
  after: { median: number; n: number; text: string };
  p: number;
  outcome: 'regressed' | 'improved' | 'changed' | 'negligible';
  /** Why that outcome: the size against the metric's practical minimum. */
  rule: string;
  factors: ChangedFactor[];
  /** At or after the build or date of --since. */
  sinceMark: boolean;
}

export interface MetricHistory {
  metric: string;
  /** The rule's formatter (charts' axes); a function, so JSON output leaves it out. */
  format: (v: number) => string;
  unit?: string;
  direction: Direction;
  points: HistoryPoint[];
  judgedCount: number;
  /** Spread within the segments between change points: 1.4826 x MAD of the values less their segment's median. */
  noise: number | null;
  noiseText: string;
  changes: HistoryChange[];
  note?: string;
}

export interface HostHistory {
  host: string;
  probe: string;
  backend: string;
  metrics: MetricHistory[];
}

export interface History {
  caseId: string;
  order: Order;
  method: string;
  since?: string;
  hosts: HostHistory[];
  /** A change point in the bad direction (beyond the practical minimum), since --since if given. */
  regression: boolean;
  regressions: { host: string; metric: string; at: HistoryPoint }[];
}

export interface HistoryOptions extends ChangePointOptions {
  order?: Order;
  metric?: string;
  host?: string;
  /** A driver build (version string) or an ISO date: only change points from there on count for the exit status. */
  since?: string;
}

interface Entry {
  report: Report & { storeId?: number };
  result: CaseResult;
  driver: string | null;
}

function isDate(s: string): boolean {
  return /^\d{4}-\d\d-\d\d/.test(s) && !Number.isNaN(Date.parse(s));
}

function orderEntries(entries: Entry[], order: Order): Entry[] {
  const byTime = (a: Entry, b: Entry) => a.report.startedAt.localeCompare(b.report.startedAt);
  if (order === 'time') return [...entries].sort(byTime);
  return [...entries].sort((a, b) => {
    if (a.driver === null || b.driver === null) return a.driver === b.driver ? byTime(a, b) : a.driver === null ? -1 : 1;
    return compareVersions(a.driver, b.driver) || byTime(a, b);
  });
}

function sinceMark(p: HistoryPoint, since: string | undefined): boolean {
  if (since === undefined) return true;
  if (isDate(since)) return Date.parse(p.startedAt) >= Date.parse(since);
  return p.driver !== null && compareVersions(p.driver, since) >= 0;
}

function factorValue(r: Report, factor: string): string | null {
  return factorsOf(r).get(factor)?.value ?? null;
}

/** The factors that differ between the last result before a change and the first after it, with how consistently each segment holds them. */
function changedFactors(entries: Entry[], lo: number, cut: number, hi: number, backend: string): ChangedFactor[] {
  const before = entries[cut - 1]!.report;
  const after = entries[cut]!.report;
  const share = (from: number, to: number, factor: string, v: string | null): [number, number] => [entries.slice(from, to).filter((e) => factorValue(e.report, factor) === v).length, to - from];
  const score = (f: ChangedFactor) => f.beforeShare[0] / f.beforeShare[1] + f.afterShare[0] / f.afterShare[1];
  return (
    environmentDiff(before, after)
      .filter((f) => affects(f, backend) && f.factor !== 'environment.host')
      .map((f) => ({ factor: f.factor, label: f.label, before: f.before, after: f.after, beforeShare: share(lo, cut, f.factor, f.before), afterShare: share(cut, hi, f.factor, f.after) }))
      // Factors that hold on each whole side of the change first: those explain it best.
      .sort((a, b) => score(b) - score(a))
  );
}

function metricHistory(entries: Entry[], metric: string, rd: (i: number) => Reading | undefined, backend: string, o: Required<ChangePointOptions>, since: string | undefined): MetricHistory {
  const first = entries.map((_, i) => rd(i)).find((x) => x);
  const rule = first!.rule;
  const points: HistoryPoint[] = entries.map((e, i) => {
    const r = rd(i);
    const value = r?.value ?? null;
    const notJudged = !r ? 'not in this report' : (r.notJudged ?? (value === null ? 'not measured' : undefined));
    return {
      ...(e.report.storeId !== undefined ? { reportId: e.report.storeId } : {}),
      startedAt: e.report.startedAt,
      driver: e.driver,
      toolVersion: e.report.tool.version,
      status: e.result.status,
      value,
      text: value === null ? '-' : rule.format(value),
      ...(notJudged ? { notJudged } : {}),
    };
  });
  const used = points.map((p, i) => ({ p, i })).filter(({ p }) => p.value !== null && !p.notJudged);
  const usedEntries = used.map(({ i }) => entries[i]!);
  const xs = used.map(({ p }) => judged(rule, p.value!));
  const base = { metric, format: rule.format, ...(rule.unit ? { unit: rule.unit } : {}), direction: rule.direction, points, judgedCount: xs.length };
  if (xs.length < 2 * o.minSize) {
    return { ...base, noise: null, noiseText: '-', changes: [], note: `${xs.length} judged results: too few to search for a change (at least ${2 * o.minSize})` };
  }
  const cps = changePoints(xs, o).changePoints;
  const cuts = [0, ...cps.map((c) => c.index), xs.length];
  const residuals = cuts.slice(1).flatMap((end, k) => {
    const seg = xs.slice(cuts[k], end);
    const m = median(seg);
    return seg.map((x) => x - m);
  });
  const noise = 1.4826 * mad(residuals);
  const minimum = practicalMinimum(rule);
  const changes = cps.map((c, k): HistoryChange => {
    const lo = cuts[k]!;
    const hi = cuts[k + 2]!;
    const mb = median(xs.slice(lo, c.index));
    const ma = median(xs.slice(c.index, hi));
    let outcome: HistoryChange['outcome'];
    let why: string;
    if (minimum) {
      const [large, tol] = exceeds(rule, minimum, mb, ma);
      const s = side(rule, mb, ma);
      outcome = !large ? 'negligible' : s === 'worse' ? 'regressed' : s === 'better' ? 'improved' : 'changed';
      why = large ? `median change beyond the ${tol}` : `median change within the ${tol}: not counted`;
    } else {
      const s = side(rule, mb, ma);
      outcome = mb === ma ? 'changed' : s === 'worse' ? 'regressed' : s === 'better' ? 'improved' : 'changed';
      why = 'any change counts';
    }
    const at = used[c.index]!.p;
    return {
      index: used[c.index]!.i,
      at,
      previous: used[c.index - 1]!.p,
      before: { median: mb, n: c.index - lo, text: rule.format(mb) },
      after: { median: ma, n: hi - c.index, text: rule.format(ma) },
      p: c.p,
      outcome,
      rule: why,
      factors: changedFactors(usedEntries, lo, c.index, hi, backend),
      sinceMark: sinceMark(at, since),
    };
  });
  return { ...base, noise, noiseText: rule.format(noise), changes };
}

/** The history of one case in these reports (each report contributes its first result of that case). */
export function caseHistory(caseId: string, reports: readonly (Report & { storeId?: number })[], options: HistoryOptions = {}): History {
  const o: Required<ChangePointOptions> = {
    alpha: options.alpha ?? CHANGEPOINT_DEFAULTS.alpha,
    permutations: options.permutations ?? CHANGEPOINT_DEFAULTS.permutations,
    minSize: options.minSize ?? CHANGEPOINT_DEFAULTS.minSize,
    seed: options.seed ?? CHANGEPOINT_DEFAULTS.seed,
  };
  const order = options.order ?? 'time';
  const byHost = new Map<string, Entry[]>();
  for (const report of reports) {
    const result = report.results.find((r) => r.id === caseId);
    if (!result) continue;
    if (options.host !== undefined && report.environment.host !== options.host) continue;
    const host = report.environment.host;
    byHost.set(host, [...(byHost.get(host) ?? []), { report, result, driver: driverOf(report, result.backend) }]);
  }
  const hosts: HostHistory[] = [];
  for (const [host, raw] of [...byHost].sort(([a], [b]) => a.localeCompare(b))) {
    const entries = orderEntries(raw, order);
    const backend = entries[0]!.result.backend;
    const keys: string[] = [];
    const per = entries.map((e) => new Map(readings(e.result).map((r) => [r.metric, r])));
    for (const m of per) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
    const wanted = options.metric ? keys.filter((k) => k === options.metric) : keys;
    const metrics = wanted.map((k) => metricHistory(entries, k, (i) => per[i]!.get(k), backend, o, options.since));
    hosts.push({ host, probe: entries[0]!.result.probe, backend, metrics });
  }
  const regressions = hosts.flatMap((h) => h.metrics.flatMap((m) => m.changes.filter((c) => c.outcome === 'regressed' && c.sinceMark).map((c) => ({ host: h.host, metric: m.metric, at: c.at }))));
  return {
    caseId,
    order,
    method: describeMethod(o),
    ...(options.since !== undefined ? { since: options.since } : {}),
    hosts,
    regression: regressions.length > 0,
    regressions,
  };
}

/** Metrics the case has in these reports (for a did-you-mean on a misspelt METRIC). */
export function metricsOf(caseId: string, reports: readonly Report[]): string[] {
  const keys = new Set<string>();
  for (const r of reports) for (const x of r.results) if (x.id === caseId) for (const rd of readings(x)) keys.add(rd.metric);
  return [...keys];
}
