// Comparing one metric between two reports: which way is better, and how large a change
// must be before it counts. A comparison is only as honest as its noise rule: where both
// reports carry an interval the intervals decide, together with a practical minimum
// change; elsewhere a stated tolerance does, and the rule is named in the output so a
// reader can disagree with it. Each probe declares its own rules (ProbeModule.comparable).
// Pure.
import { formatBytes } from '../model/format.js';

/** toward: closer to `target` is better (a positive control's host cost, truth 1). */
export type Direction = 'higher-worse' | 'higher-better' | 'toward' | 'none';
/**
 * undecided: one side cannot say (inconclusive, skipped, disturbed, missing): no evidence
 * of a change either way, so it is listed, never counted as a change.
 */
export type Outcome = 'regressed' | 'improved' | 'changed' | 'undecided' | 'unchanged';

export interface MetricValue {
  /** Key in the comparison: "hostPerDevice", "busbw bf16-trunc 128 KiB". */
  metric: string;
  value: number | null;
  interval?: [number, number] | null;
  /** Noise this report measured for this value (bytes), for byte-valued metrics. */
  noiseBytes?: number;
}

/** max(absolute, relative x the larger magnitude): a change must be this large to matter. */
export interface Margin {
  kind: 'margin';
  absolute: number;
  relative: number;
}
export type Tolerance = { kind: 'relative'; tol: number } | { kind: 'absolute'; tol: number } | Margin;

/**
 * Intervals both reports carry decide, and the change must also be of a size that
 * matters (two tight intervals may be apart by a trivial amount); without intervals the
 * tolerance alone decides.
 */
export interface IntervalNoise {
  kind: 'interval';
  /** What the intervals are, in words: "95% intervals", "min..p90 ranges". */
  label: string;
  fallback: Tolerance;
}

export interface MetricRule {
  direction: Direction;
  /** The value `toward` aims at. */
  target?: number;
  unit?: string;
  format: (v: number) => string;
  /** Values below this are judged as this (a negative host cost is the machine returning memory: none). */
  floor?: number;
  /** Values above this are judged as this (a release of more than was taken is others freeing memory meanwhile). */
  ceiling?: number;
  /** A wrong answer, not a slower one: listed first and never folded away. */
  correctness?: boolean;
  noise: IntervalNoise | Tolerance | { kind: 'noise-bytes'; margin: Margin } | { kind: 'exact' };
}

/** One metric of one result, as a probe offers it for comparison. */
export interface Comparable {
  rule: MetricRule;
  value: MetricValue;
  /** Shown only with `compare --all`; never decides a case's outcome. */
  diagnostic?: boolean;
  /** Why this value must not be judged (a disturbed measurement). */
  notJudged?: string;
}

export interface MetricComparison {
  metric: string;
  unit?: string;
  before: number | null;
  after: number | null;
  change: number | null;
  /** (after - before) / |before|; null when before is 0 or missing. */
  relativeChange: number | null;
  direction: Direction;
  beyondNoise: boolean;
  outcome: Outcome;
  /** The rule that decided, in words. */
  rule: string;
  diagnostic?: boolean;
  correctness?: boolean;
  beforeText: string;
  afterText: string;
  changeText: string;
}

export const fixed = (d: number) => (v: number) => v.toFixed(d);

/** Metrics without a known direction: reported when they move by more than 5%, never a regression. */
export const INFO_RULE: MetricRule = { direction: 'none', format: (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(4)), noise: { kind: 'relative', tol: 0.05 } };

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const iv = (i: [number, number], f: (v: number) => string) => `[${f(i[0])}, ${f(i[1])}]`;

function marginOf(m: Margin, a: number, b: number): number {
  return Math.max(m.absolute, m.relative * Math.max(Math.abs(a), Math.abs(b)));
}

/** Better is positive: the judged change in the rule's direction. */
export function gain(rule: MetricRule, before: number, after: number): number {
  if (rule.direction === 'toward') return Math.abs(before - (rule.target ?? 0)) - Math.abs(after - (rule.target ?? 0));
  if (rule.direction === 'higher-better') return after - before;
  return before - after;
}

/** Whether a change from `before` to `after` (both clamped to the rule's floor and ceiling) is as large as the tolerance asks, and the tolerance in words. */
export function exceeds(rule: MetricRule, t: Tolerance, before: number, after: number): [boolean, string] {
  const change = after - before;
  if (t.kind === 'absolute') return [Math.abs(change) > t.tol, `absolute tolerance ${t.tol}`];
  if (t.kind === 'relative') return [before === 0 ? change !== 0 : Math.abs(change / before) > t.tol, `relative tolerance ${pct(t.tol)}`];
  const m = marginOf(t, before, after);
  return [Math.abs(change) > m, `practical minimum change ${rule.format(m)} (${rule.format(t.absolute)} or ${pct(t.relative)})`];
}

/** The size a change must reach to matter, whatever the noise: the rule's tolerance or margin; null for an exact rule. */
export function practicalMinimum(rule: MetricRule): Tolerance | null {
  const n = rule.noise;
  if (n.kind === 'interval') return n.fallback;
  if (n.kind === 'noise-bytes') return n.margin;
  if (n.kind === 'exact') return null;
  return n;
}

export function compareMetric(rule: MetricRule, a: MetricValue | undefined, b: MetricValue | undefined, metric: string, notJudged?: string): MetricComparison {
  const before = a?.value ?? null;
  const after = b?.value ?? null;
  const base = {
    metric,
    ...(rule.unit ? { unit: rule.unit } : {}),
    ...(rule.correctness ? { correctness: true } : {}),
    before,
    after,
    direction: rule.direction,
    beforeText: before === null ? '-' : rule.format(before),
    afterText: after === null ? '-' : rule.format(after),
  };
  if (before === null || after === null || notJudged) {
    const why = notJudged ?? (before === null && after === null ? 'missing on both sides' : before === null ? 'only measured after' : 'only measured before');
    const change = before !== null && after !== null ? after - before : null;
    return {
      ...base,
      change,
      relativeChange: null,
      changeText: change === null ? '-' : `${change < 0 ? '-' : '+'}${rule.format(Math.abs(change))}`,
      beyondNoise: false,
      outcome: before === after && !notJudged ? 'unchanged' : 'undecided',
      rule: why,
    };
  }
  const change = after - before;
  const relativeChange = before !== 0 ? change / Math.abs(before) : null;
  const clamp = (x: number) => Math.min(rule.ceiling ?? Infinity, Math.max(rule.floor ?? -Infinity, x));
  const ca = clamp(before);
  const cb = clamp(after);
  const judged = cb - ca;
  const read = [before, after, ...(a?.interval ?? []), ...(b?.interval ?? [])];
  const floored = rule.floor !== undefined && read.some((x) => x < rule.floor!);
  const ceiled = rule.ceiling !== undefined && read.some((x) => x > rule.ceiling!);
  let beyondNoise: boolean;
  let why: string;
  const n = rule.noise;
  const tolerance = (t: Tolerance) => exceeds(rule, t, ca, cb);
  if (n.kind === 'interval' && a?.interval && b?.interval) {
    const [lo1, hi1] = a.interval.map(clamp) as [number, number];
    const [lo2, hi2] = b.interval.map(clamp) as [number, number];
    const apart = hi1 < lo2 || hi2 < lo1;
    const [large, tol] = tolerance(n.fallback);
    beyondNoise = apart && large;
    why = `${n.label} ${iv(a.interval, rule.format)} and ${iv(b.interval, rule.format)} ${apart ? 'do not overlap' : 'overlap'}` + (apart && !large ? `, but the change is within the ${tol}` : '');
  } else if (n.kind === 'interval') {
    [beyondNoise, why] = tolerance(n.fallback);
    why = `no ${n.label} on both sides; ${why}`;
  } else if (n.kind === 'absolute' || n.kind === 'relative' || n.kind === 'margin') {
    [beyondNoise, why] = tolerance(n);
  } else if (n.kind === 'noise-bytes') {
    // One window of readings against each run's baseline: each is uncertain by that run's noise.
    const noise = (a?.noiseBytes ?? 0) + (b?.noiseBytes ?? 0);
    const margin = marginOf(n.margin, before, after);
    beyondNoise = Math.abs(change) > Math.max(noise, margin);
    why = `noise of both runs ${formatBytes(noise)}, practical minimum change ${formatBytes(margin)}`;
  } else {
    beyondNoise = change !== 0;
    why = 'any change counts';
  }
  if (floored) why += ` (below ${rule.floor} read as ${rule.floor}: the machine returned memory meanwhile)`;
  if (ceiled) why += ` (above ${rule.ceiling} read as ${rule.ceiling}: other processes freed memory meanwhile)`;
  let outcome: Outcome = 'unchanged';
  const g = gain(rule, ca, cb);
  if (beyondNoise && judged !== 0) outcome = rule.direction === 'none' || g === 0 ? 'changed' : g > 0 ? 'improved' : 'regressed';
  const showsRelative = n.kind === 'relative' || (n.kind === 'interval' && n.fallback.kind === 'relative');
  const changeText =
    `${change < 0 ? '-' : '+'}${rule.format(Math.abs(change))}` + (showsRelative && relativeChange !== null ? ` (${change < 0 ? '-' : '+'}${(Math.abs(relativeChange) * 100).toFixed(1)}%)` : '');
  return { ...base, change, relativeChange, changeText, beyondNoise, outcome, rule: why };
}

// Statuses in three bands: a move between good and bad is a regression or an
// improvement; warn and skip decide nothing (an inconclusive reading on a noisy machine
// must not fail a comparison on its own), so moves to or from them are undecided.
const GOOD = new Set(['pass', 'xpass']);
const BAD = new Set(['fail', 'error', 'xfail']);

export function statusOutcome(before: string, after: string): Outcome {
  if (before === after) return 'unchanged';
  if (GOOD.has(before) && BAD.has(after)) return 'regressed';
  if (BAD.has(before) && GOOD.has(after)) return 'improved';
  if ((GOOD.has(before) || BAD.has(before)) && (GOOD.has(after) || BAD.has(after))) return 'changed';
  return 'undecided';
}

/** shadow -> clean is the fix users look for; inconclusive decides nothing either way. */
export function verdictOutcome(before: string | null, after: string | null): Outcome {
  if (before === after) return 'unchanged';
  if (before === 'shadow' && after === 'clean') return 'improved';
  if (before === 'clean' && after === 'shadow') return 'regressed';
  return before === 'inconclusive' || after === 'inconclusive' || before === null || after === null ? 'undecided' : 'changed';
}

const RANK: Record<Outcome, number> = { unchanged: 0, undecided: 1, changed: 2, improved: 3, regressed: 4 };

/** The outcome of several: any regression wins, then improvement, then a plain change, then an undecided one. */
export function worst(outcomes: Outcome[]): Outcome {
  return outcomes.reduce<Outcome>((w, o) => (RANK[o] > RANK[w] ? o : w), 'unchanged');
}
