// Robust outliers among nodes of a fleet: the median and the median absolute deviation
// (MAD), as in Iglewicz & Hoaglin's modified z-score ("How to Detect and Handle
// Outliers", ASQC 1993): M = 0.6745 (x - median) / MAD, an outlier beyond |M| > 3.5.
// Neither the median nor the MAD moves much when a few nodes are off, so those few
// stand out instead of dragging the reference with them (a mean and a standard
// deviation would). A value must also differ from the median by what the metric's
// rule calls a change at all (`differs`): with identical nodes the MAD is 0 and any
// difference would otherwise be an infinite score. Pure.
import { median } from './stats.js';

export const MODIFIED_Z_LIMIT = 3.5;
/** 0.6745 = the normal's 75% quantile: makes MAD-based scores read like standard scores. */
const CONSISTENCY = 0.6745;

export interface RobustOptions {
  /** |modified z| beyond this is an outlier (default 3.5). */
  limit?: number;
  /** Whether a value differs from the median by a change that matters; default any difference. */
  differs?: (medianValue: number, value: number) => boolean;
}

export interface RobustSummary {
  median: number;
  mad: number;
  /** Per value its modified z-score (±Infinity where the MAD is 0 and the value differs). */
  scores: number[];
  /** Indexes of the outliers, ascending. */
  outliers: number[];
}

export function mad(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

export function modifiedZ(x: number, med: number, madValue: number): number {
  if (x === med) return 0;
  if (madValue === 0) return x > med ? Infinity : -Infinity;
  return (CONSISTENCY * (x - med)) / madValue;
}

export function robustOutliers(xs: readonly number[], options: RobustOptions = {}): RobustSummary {
  const limit = options.limit ?? MODIFIED_Z_LIMIT;
  const differs = options.differs ?? ((m: number, v: number) => v !== m);
  const med = median(xs);
  const d = mad(xs);
  const scores = xs.map((x) => modifiedZ(x, med, d));
  const outliers = xs.flatMap((x, i) => (Math.abs(scores[i]!) > limit && differs(med, x) ? [i] : []));
  return { median: med, mad: d, scores, outliers };
}

/**
 * The value most nodes share, if more than half share it: a categorical reference
 * (status, verdict). Without a majority nothing is an outlier: the fleet is split.
 */
export function majority<T>(xs: readonly T[]): { value: T; count: number } | null {
  const counts = new Map<T, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: { value: T; count: number } | null = null;
  for (const [value, count] of counts) if (!best || count > best.count) best = { value, count };
  return best && best.count * 2 > xs.length ? best : null;
}
