// Tests for comparing several runs per side, without assuming the noise is normal: the
// Mann-Whitney U test for a metric (as asv and LNT use), Fisher's exact test for the
// share of bad statuses or verdicts. Exact for the small samples of repeated runs. Pure.

/** Ways to pick k items of n, as a float (exact for the sizes used here). */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) r = (r * (n - Math.min(k, n - k) + i)) / i;
  return r;
}

export interface RankTest {
  /** U of the first sample: the number of (x, y) pairs with x > y, ties counting one half. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  /** exact (no ties, both samples of 20 or fewer) or normal (with tie correction). */
  method: 'exact' | 'normal';
}

/** Number of ways n1 values of 1..n1+n2 ranks sum to each U (the null distribution), by recursion on counts. */
function exactUDistribution(n1: number, n2: number): number[] {
  // f[i][j][u]: ways with i values of the first, j of the second, giving U = u.
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const cur: number[][] = [];
    for (let j = 0; j <= n2; j++) {
      const size = i * j + 1;
      const row = new Array<number>(size).fill(0);
      // The largest value belongs to the first sample (it beats all j of the second) or to the second.
      const a = prev[j]!;
      for (let u = 0; u < a.length; u++) row[u + j] = (row[u + j] ?? 0) + a[u]!;
      if (j > 0) {
        const b = cur[j - 1]!;
        for (let u = 0; u < b.length; u++) row[u] = (row[u] ?? 0) + b[u]!;
      }
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n2]!;
}

export function mannWhitney(xs: readonly number[], ys: readonly number[]): RankTest {
  const n1 = xs.length;
  const n2 = ys.length;
  if (!n1 || !n2) return { u: NaN, p: 1, method: 'exact' };
  let u = 0;
  for (const x of xs) for (const y of ys) u += x > y ? 1 : x === y ? 0.5 : 0;
  const all = [...xs, ...ys].sort((a, b) => a - b);
  const ties = all.some((v, i) => i > 0 && v === all[i - 1]);
  if (!ties && n1 <= 20 && n2 <= 20) {
    const dist = exactUDistribution(n1, n2);
    const total = choose(n1 + n2, n1);
    const mean = (n1 * n2) / 2;
    const d = Math.abs(u - mean);
    let tail = 0;
    dist.forEach((ways, k) => {
      if (Math.abs(k - mean) >= d - 1e-9) tail += ways;
    });
    return { u, p: Math.min(1, tail / total), method: 'exact' };
  }
  // Normal approximation with the tie correction and a continuity correction.
  const n = n1 + n2;
  const counts = new Map<number, number>();
  for (const v of all) counts.set(v, (counts.get(v) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of counts.values()) tieTerm += t ** 3 - t;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' };
  const z = (Math.abs(u - (n1 * n2) / 2) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), method: 'normal' };
}

/** The smallest two-sided p-value the exact test can reach with these sample sizes (complete separation). */
export function smallestP(n1: number, n2: number): number {
  return n1 && n2 ? 2 / choose(n1 + n2, n1) : 1;
}

/**
 * One-sided Fisher exact test: the probability of at least `badAfter` bad outcomes among
 * the after runs, given the bad outcomes of both sides together (hypergeometric tail).
 */
export function fisherWorse(badBefore: number, nBefore: number, badAfter: number, nAfter: number): number {
  const bad = badBefore + badAfter;
  const n = nBefore + nAfter;
  const total = choose(n, nAfter);
  if (!total) return 1;
  let tail = 0;
  for (let k = badAfter; k <= Math.min(bad, nAfter); k++) tail += choose(bad, k) * choose(n - bad, nAfter - k);
  return Math.min(1, tail / total);
}

/** Standard normal distribution function (Abramowitz and Stegun 26.2.17, error below 7.5e-8). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const d = 0.3989422804014327 * Math.exp((-z * z) / 2);
  const q = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - q : q;
}
