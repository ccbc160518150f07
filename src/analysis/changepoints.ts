// Change points in a series of results (one metric of one case over builds or time):
// E-Divisive means (Matteson & James, "A Nonparametric Approach for Multiple Change
// Point Analysis of Multivariate Data", JASA 2014), the method of Apache Otava / Hunter
// and MongoDB's performance CI. The energy distance between the values before and after
// a candidate split is the statistic; the best split is kept only if a permutation test
// of the same segment says such a split is unlikely without a change (p < alpha). The
// noise is the data's own: no variance is assumed or estimated, so one noisy metric and
// one quiet metric are judged alike, and a series without a change shows a change point
// with probability about alpha. Splits are found hierarchically (each accepted one
// divides its segment and both parts are searched again). Pure and deterministic: the
// permutations come from a fixed seed.

export interface ChangePointOptions {
  /** Significance of each permutation test; about the chance of a false change point in a series without one. */
  alpha?: number;
  /** Permutations per test (p-values resolve to 1 / (permutations + 1)). */
  permutations?: number;
  /** Fewest values on either side of a change point. */
  minSize?: number;
  /** Seed of the permutations. */
  seed?: number;
}

export interface ChangePoint {
  /** Index of the first value after the change. */
  index: number;
  /** Permutation p-value of the split when it was accepted. */
  p: number;
  /** The scaled energy statistic (m n / (m + n)) * E of the split. */
  statistic: number;
}

export interface ChangePointResult {
  /** Ascending by index. */
  changePoints: ChangePoint[];
  /** The setting in words, for the output: what a reader needs to disagree with it. */
  method: string;
}

export const CHANGEPOINT_DEFAULTS = { alpha: 0.01, permutations: 499, minSize: 3, seed: 0x5eed } as const;

export function describeMethod(o: Required<ChangePointOptions>): string {
  return (
    `E-Divisive means (Matteson & James 2014; energy distance, exponent 1) with a permutation test ` +
    `of ${o.permutations} permutations per split at alpha ${o.alpha} (a series without a change shows one with probability about ${o.alpha}), ` +
    `at least ${o.minSize} results on each side`
  );
}

/** mulberry32: small, fast and good enough to shuffle with; the same seed gives the same shuffles. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fenwick tree of counts and sums over ranks: sum of |x - v| over the inserted x in O(log n). */
class RankSums {
  private cnt: Float64Array;
  private sum: Float64Array;
  private n = 0;
  private total = 0;
  constructor(size: number) {
    this.cnt = new Float64Array(size + 1);
    this.sum = new Float64Array(size + 1);
  }
  add(rank: number, v: number): void {
    this.n++;
    this.total += v;
    for (let i = rank + 1; i < this.cnt.length; i += i & -i) {
      this.cnt[i]! += 1;
      this.sum[i]! += v;
    }
  }
  /** Sum of |x - v| over every inserted x; `rank` is v's rank (ties may fall on either side: |x - v| is 0 for them). */
  distances(rank: number, v: number): number {
    let c = 0;
    let s = 0;
    for (let i = rank; i > 0; i -= i & -i) {
      c += this.cnt[i]!;
      s += this.sum[i]!;
    }
    return v * c - s + (this.total - s) - v * (this.n - c);
  }
}

/**
 * The best split of xs (one segment) and its scaled energy statistic, in O(n log n):
 * within-prefix and within-suffix distance sums by rank sums, the between sum as what
 * is left of the total. `ranks` are the values' ranks within the segment.
 */
export function bestSplit(xs: ArrayLike<number>, ranks: ArrayLike<number>, minSize: number): { index: number; statistic: number } | null {
  const n = xs.length;
  if (n < 2 * minSize) return null;
  const prefix = new Float64Array(n + 1); // prefix[t]: sum over i < k < t of |x_i - x_k|
  let t = new RankSums(n);
  for (let k = 0; k < n; k++) {
    prefix[k + 1] = prefix[k]! + t.distances(ranks[k]!, xs[k]!);
    t.add(ranks[k]!, xs[k]!);
  }
  const suffix = new Float64Array(n + 1); // suffix[t]: sum over t <= j < k < n
  t = new RankSums(n);
  for (let k = n - 1; k >= 0; k--) {
    suffix[k] = suffix[k + 1]! + t.distances(ranks[k]!, xs[k]!);
    t.add(ranks[k]!, xs[k]!);
  }
  const total = prefix[n]!;
  let best: { index: number; statistic: number } | null = null;
  for (let tau = minSize; tau <= n - minSize; tau++) {
    const m = tau;
    const q = n - tau;
    const between = total - prefix[tau]! - suffix[tau]!;
    const within1 = m > 1 ? prefix[tau]! / ((m * (m - 1)) / 2) : 0;
    const within2 = q > 1 ? suffix[tau]! / ((q * (q - 1)) / 2) : 0;
    const e = (2 * between) / (m * q) - within1 - within2;
    const stat = ((m * q) / (m + q)) * e;
    if (!best || stat > best.statistic + 1e-12 * Math.abs(stat)) best = { index: tau, statistic: stat };
  }
  return best;
}

function ranksOf(xs: readonly number[]): Int32Array {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
  const r = new Int32Array(xs.length);
  order.forEach((i, k) => (r[i] = k));
  return r;
}

/**
 * Permutation p-value of a segment's best split: the share of shuffles of the same
 * values whose best split is at least as strong. Stops early once the split can no
 * longer reach alpha (a series without a change is usually done after a few dozen).
 */
function permutationP(xs: readonly number[], observed: number, o: Required<ChangePointOptions>, next: () => number): number {
  const ranks = ranksOf(xs);
  const vals = Float64Array.from(xs);
  const rk = Int32Array.from(ranks);
  const limit = o.alpha * (o.permutations + 1);
  let atLeast = 0;
  let done = 0;
  for (; done < o.permutations; done++) {
    for (let i = vals.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [vals[i], vals[j]] = [vals[j]!, vals[i]!];
      [rk[i], rk[j]] = [rk[j]!, rk[i]!];
    }
    const s = bestSplit(vals, rk, o.minSize);
    if (s && s.statistic >= observed - 1e-12 * Math.abs(observed)) atLeast++;
    if (atLeast + 1 > limit) return (atLeast + 1) / (done + 2);
  }
  return (atLeast + 1) / (o.permutations + 1);
}

export function changePoints(values: readonly number[], options: ChangePointOptions = {}): ChangePointResult {
  const o: Required<ChangePointOptions> = { ...CHANGEPOINT_DEFAULTS, ...options };
  if (!(o.alpha > 0 && o.alpha < 1)) throw new RangeError(`alpha must lie between 0 and 1 (got ${o.alpha})`);
  if (!Number.isInteger(o.minSize) || o.minSize < 2) throw new RangeError(`minSize must be a whole number of at least 2 (got ${o.minSize})`);
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('change points need finite values');
  const next = rng(o.seed);
  const found: ChangePoint[] = [];
  // Segments still to search, as [start, end) of the series.
  const segments: [number, number][] = [[0, values.length]];
  for (;;) {
    let best: { seg: number; index: number; statistic: number } | null = null;
    segments.forEach(([a, b], k) => {
      const xs = values.slice(a, b);
      const s = bestSplit(xs, ranksOf(xs), o.minSize);
      if (s && s.statistic > 0 && (!best || s.statistic > best.statistic)) best = { seg: k, index: a + s.index, statistic: s.statistic };
    });
    if (!best) break;
    const { seg, index, statistic } = best as { seg: number; index: number; statistic: number };
    const [a, b] = segments[seg]!;
    const p = permutationP(values.slice(a, b), statistic, o, next);
    if (p >= o.alpha) break;
    found.push({ index, p, statistic });
    segments.splice(seg, 1, [a, index], [index, b]);
  }
  found.sort((x, y) => x.index - y.index);
  return { changePoints: found, method: describeMethod(o) };
}
