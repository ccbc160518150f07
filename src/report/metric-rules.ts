// Which way is better for each metric, and how large a change must be before it counts.
// A comparison is only as honest as its noise rule: where a report carries an interval
// the intervals decide; elsewhere a stated tolerance does, and the rule is named in the
// output so a reader can disagree with it.
import { formatBytes } from '../suite/index.js';

export type Direction = 'higher-worse' | 'higher-better' | 'none';
export type Outcome = 'regressed' | 'improved' | 'changed' | 'unchanged';

export interface MetricValue {
  /** Key in the comparison: "hostPerDevice", "busbw bf16-trunc 128 KiB". */
  metric: string;
  value: number | null;
  interval?: [number, number] | null;
  /** Noise the report measured for this case (bytes), for byte-valued metrics. */
  noiseBytes?: number;
}

export interface MetricRule {
  direction: Direction;
  unit?: string;
  format: (v: number) => string;
  /** Values below this are judged as this (a negative host cost is the machine returning memory: none). */
  floor?: number;
  noise: IntervalNoise | Tolerance | { kind: 'noise-bytes'; min: number } | { kind: 'exact' };
}

type Tolerance = { kind: 'relative'; tol: number } | { kind: 'absolute'; tol: number };

/**
 * Intervals both reports carry decide, and the change must also be of a size that
 * matters (the tolerance: two tight intervals may be apart by a trivial amount); without
 * intervals the tolerance alone decides.
 */
interface IntervalNoise {
  kind: 'interval';
  /** What the intervals are, in words: "95% intervals", "min..p90 ranges". */
  label: string;
  fallback: Tolerance;
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
  beforeText: string;
  afterText: string;
  changeText: string;
}

const fixed = (d: number) => (v: number) => v.toFixed(d);
const MiB = 2 ** 20;

export const ALLOC_RULES: Record<string, MetricRule> = {
  hostPerDevice: { direction: 'higher-worse', unit: 'host B / device B', format: fixed(3), floor: 0, noise: { kind: 'interval', label: '95% intervals', fallback: { kind: 'absolute', tol: 0.05 } } },
  releasedFraction: { direction: 'higher-better', format: fixed(2), noise: { kind: 'absolute', tol: 0.1 } },
  hostFixedBytes: { direction: 'higher-worse', format: formatBytes, noise: { kind: 'noise-bytes', min: 16 * MiB } },
  cycleGrowthPerCycle: { direction: 'higher-worse', unit: 'B/cycle', format: formatBytes, noise: { kind: 'noise-bytes', min: 16 * MiB } },
};

export const ALLREDUCE_ROW_RULES: Record<string, MetricRule> = {
  // The sweep's per-iteration spread (min..p90 of the timings) is its noise, where reported.
  busbw: { direction: 'higher-better', unit: 'GB/s', format: fixed(2), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  timeUs: { direction: 'higher-worse', unit: 'us', format: fixed(1), noise: { kind: 'interval', label: 'min..p90 ranges', fallback: { kind: 'relative', tol: 0.05 } } },
  wrong: { direction: 'higher-worse', format: fixed(0), noise: { kind: 'exact' } },
  disagree: { direction: 'higher-worse', format: fixed(0), noise: { kind: 'exact' } },
};

/** Metrics without a known direction: reported when they move by more than 5%, never a regression. */
export const INFO_RULE: MetricRule = { direction: 'none', format: (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(4)), noise: { kind: 'relative', tol: 0.05 } };

/** DRM fdinfo slopes: GTT growth per device byte is the shadow copy itself. */
export function drmRule(key: string): MetricRule {
  return { direction: /gtt|system/.test(key) ? 'higher-worse' : 'none', unit: 'B / device B', format: fixed(3), noise: { kind: 'absolute', tol: 0.05 } };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const iv = (i: [number, number], f: (v: number) => string) => `[${f(i[0])}, ${f(i[1])}]`;

export function compareMetric(rule: MetricRule, a: MetricValue | undefined, b: MetricValue | undefined, metric: string): MetricComparison {
  const before = a?.value ?? null;
  const after = b?.value ?? null;
  const base = {
    metric,
    ...(rule.unit ? { unit: rule.unit } : {}),
    before,
    after,
    direction: rule.direction,
    beforeText: before === null ? '-' : rule.format(before),
    afterText: after === null ? '-' : rule.format(after),
  };
  if (before === null || after === null) {
    const rule = before === null && after === null ? 'missing on both sides' : before === null ? 'only measured after' : 'only measured before';
    return { ...base, change: null, relativeChange: null, changeText: '-', beyondNoise: false, outcome: before === after ? 'unchanged' : 'changed', rule };
  }
  const change = after - before;
  const relativeChange = before !== 0 ? change / Math.abs(before) : null;
  const clamp = (x: number) => (rule.floor !== undefined ? Math.max(rule.floor, x) : x);
  const judged = clamp(after) - clamp(before);
  const floored = rule.floor !== undefined && [before, after, ...(a?.interval ?? []), ...(b?.interval ?? [])].some((x) => x < rule.floor!);
  let beyondNoise: boolean;
  let why: string;
  const n = rule.noise;
  const tolerance = (t: Tolerance): [boolean, string] =>
    t.kind === 'absolute'
      ? [Math.abs(judged) > t.tol, `absolute tolerance ${t.tol}`]
      : [relativeChange === null ? change !== 0 : Math.abs(relativeChange) > t.tol, `relative tolerance ${pct(t.tol)}`];
  if (n.kind === 'interval' && a?.interval && b?.interval) {
    const [lo1, hi1] = a.interval.map(clamp) as [number, number];
    const [lo2, hi2] = b.interval.map(clamp) as [number, number];
    const apart = hi1 < lo2 || hi2 < lo1;
    const [large, tol] = tolerance(n.fallback);
    beyondNoise = apart && large;
    why = `${n.label} ${iv(a.interval, rule.format)} and ${iv(b.interval, rule.format)} ${apart ? 'do not overlap' : 'overlap'}` +
      (apart && !large ? `, but the change is within the ${tol}` : '');
  } else if (n.kind === 'interval') {
    [beyondNoise, why] = tolerance(n.fallback);
    why = `no ${n.label} on both sides; ${why}`;
  } else if (n.kind === 'absolute' || n.kind === 'relative') {
    [beyondNoise, why] = tolerance(n);
  } else if (n.kind === 'noise-bytes') {
    // One reading against each run's baseline: each is uncertain by that run's noise.
    const tol = Math.max(n.min, (a?.noiseBytes ?? 0) + (b?.noiseBytes ?? 0));
    beyondNoise = Math.abs(change) > tol;
    why = `baseline noise of both runs ${formatBytes(tol)}`;
  } else {
    beyondNoise = change !== 0;
    why = 'any change counts';
  }
  if (floored) why += ` (below ${rule.floor} read as ${rule.floor}: the machine returned memory meanwhile)`;
  let outcome: Outcome = 'unchanged';
  if (beyondNoise && judged !== 0) {
    if (rule.direction === 'none') outcome = 'changed';
    else outcome = (judged > 0) === (rule.direction === 'higher-better') ? 'improved' : 'regressed';
  }
  const changeText =
    `${change < 0 ? '-' : '+'}${rule.format(Math.abs(change))}` +
    ((n.kind === 'relative' || (n.kind === 'interval' && n.fallback.kind === 'relative')) && relativeChange !== null ? ` (${change < 0 ? '-' : '+'}${(Math.abs(relativeChange) * 100).toFixed(1)}%)` : '');
  return { ...base, change, relativeChange, changeText, beyondNoise, outcome, rule: why };
}

// Statuses in three bands: a move between good and bad is a regression or an
// improvement; warn and skip are neither (an inconclusive reading on a noisy machine
// must not fail a comparison on its own), so moves to or from them are "changed".
const GOOD = new Set(['pass', 'xpass']);
const BAD = new Set(['fail', 'error', 'xfail']);

export function statusOutcome(before: string, after: string): Outcome {
  if (before === after) return 'unchanged';
  if (GOOD.has(before) && BAD.has(after)) return 'regressed';
  if (BAD.has(before) && GOOD.has(after)) return 'improved';
  return 'changed';
}

/** shadow -> clean is the fix users look for; inconclusive decides nothing either way. */
export function verdictOutcome(before: string | null, after: string | null): Outcome {
  if (before === after) return 'unchanged';
  if (before === 'shadow' && after === 'clean') return 'improved';
  if (before === 'clean' && after === 'shadow') return 'regressed';
  return 'changed';
}

const RANK: Record<Outcome, number> = { unchanged: 0, changed: 1, improved: 2, regressed: 3 };

/** The outcome of several: any regression wins, then improvement, then a plain change. */
export function worst(outcomes: Outcome[]): Outcome {
  return outcomes.reduce<Outcome>((w, o) => (RANK[o] > RANK[w] ? o : w), 'unchanged');
}
