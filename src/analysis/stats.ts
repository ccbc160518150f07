// Small statistics toolkit: everything here is pure and deterministic.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Quantile with linear interpolation between order statistics (q in [0, 1]). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Two-sided 97.5% quantile of Student's t with `df` degrees of freedom. */
export function t975(df: number): number {
  const table = [
    NaN,
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.16,
    2.145,
    2.131,
    2.12,
    2.11,
    2.101,
    2.093,
    2.086,
    2.08,
    2.074,
    2.069,
    2.064,
    2.06,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
  ];
  if (df < 1) return Infinity;
  if (df < table.length) return table[df]!;
  // Cornish-Fisher expansion around the normal quantile; within 1e-3 for df > 30.
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/**
 * The median with a distribution-free interval: order statistics x(k) and x(n+1-k), k
 * the largest rank whose two-sided binomial(n, 1/2) tail stays within 5%. Needs no
 * assumption about the noise, and a few wild values cannot move it. Null bounds when n
 * is too small for any such pair (n < 6).
 */
export function medianCI(xs: readonly number[]): { median: number; ci: [number, number] | null; coverage: number | null } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  // P(Bin(n, 1/2) <= j), accumulated exactly.
  let k = 0;
  let tail = 0;
  let term = 0.5 ** n;
  for (let j = 0; j < n; j++) {
    if (2 * (tail + term) > 0.05) break;
    tail += term;
    k = j + 1;
    term = (term * (n - j)) / (j + 1);
  }
  if (k === 0) return { median: median(s), ci: null, coverage: null };
  return { median: median(s), ci: [s[k - 1]!, s[n - k]!], coverage: 1 - 2 * tail };
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Standard error of the slope. */
  slopeSE: number;
  /** 95% interval of the slope. */
  slopeCI: [number, number];
  n: number;
  residualSD: number;
}

/**
 * Least-squares line y = intercept + slope * x. `noiseSD` is a floor for the residual
 * standard deviation, measured independently (the baseline's spread), so a fit that
 * happens to be perfectly straight cannot claim more precision than the instrument has.
 */
export function linearFit(xs: readonly number[], ys: readonly number[], noiseSD = 0): LinearFit {
  const n = xs.length;
  if (n !== ys.length || n < 2) throw new Error(`linearFit needs at least two points, got ${n}`);
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) throw new Error('linearFit needs at least two distinct x values');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  const df = n - 2;
  const residualSD = df > 0 ? Math.sqrt(ssr / df) : 0;
  const sd = Math.max(residualSD, noiseSD);
  const slopeSE = df > 0 || noiseSD > 0 ? sd / Math.sqrt(sxx) : Infinity;
  // With no residual degrees of freedom only the independent noise floor is known:
  // treat it as a normal quantile rather than claiming nothing.
  const t = df > 0 ? t975(df) : 1.959964;
  return { slope, intercept, slopeSE, slopeCI: [slope - t * slopeSE, slope + t * slopeSE], n, residualSD };
}
