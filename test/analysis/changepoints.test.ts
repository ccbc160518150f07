// E-Divisive means against values worked by hand and a brute-force statistic.
import { describe, expect, it } from 'vitest';
import { bestSplit, changePoints } from '../../src/analysis/changepoints.js';

/** The energy statistic as the paper writes it, O(n^3): the reference for the fast one. */
function bruteForce(xs: number[], minSize: number): { index: number; statistic: number } | null {
  let best: { index: number; statistic: number } | null = null;
  for (let tau = minSize; tau <= xs.length - minSize; tau++) {
    const x = xs.slice(0, tau);
    const y = xs.slice(tau);
    let between = 0;
    for (const a of x) for (const b of y) between += Math.abs(a - b);
    const within = (s: number[]) => {
      let w = 0;
      for (let i = 0; i < s.length; i++) for (let k = i + 1; k < s.length; k++) w += Math.abs(s[i]! - s[k]!);
      return s.length > 1 ? w / ((s.length * (s.length - 1)) / 2) : 0;
    };
    const m = x.length;
    const n = y.length;
    const e = (2 * between) / (m * n) - within(x) - within(y);
    const stat = ((m * n) / (m + n)) * e;
    if (!best || stat > best.statistic + 1e-12) best = { index: tau, statistic: stat };
  }
  return best;
}

const ranks = (xs: number[]) => {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
  const r = new Array<number>(xs.length);
  order.forEach((i, k) => (r[i] = k));
  return r;
};

/** A deterministic stand-in for noise: a fixed LCG mapped to roughly N(0, 1) (sum of 4 uniforms). */
function noise(seed: number, n: number): number[] {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, () => (u() + u() + u() + u() - 2) * Math.sqrt(3));
}

describe('the energy statistic', () => {
  it('is (m n / (m + n)) E by hand: 0 0 0 | 1 1 1 gives E = 2, statistic 3', () => {
    expect(bestSplit([0, 0, 0, 1, 1, 1], ranks([0, 0, 0, 1, 1, 1]), 3)).toEqual({ index: 3, statistic: 3 });
    expect(bestSplit([0, 0, 1, 1], ranks([0, 0, 1, 1]), 2)).toEqual({ index: 2, statistic: 2 });
  });

  it('matches the brute-force definition on random series, ties included', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const xs = noise(seed, 8 + seed).map((v, i) => (seed % 3 === 0 ? Math.round(v) : v) + (i > seed / 2 ? 1 : 0));
      const fast = bestSplit(xs, ranks(xs), 3)!;
      const slow = bruteForce(xs, 3)!;
      expect(fast.index).toBe(slow.index);
      expect(fast.statistic).toBeCloseTo(slow.statistic, 9);
    }
  });

  it('has no split shorter than twice the minimum size', () => {
    expect(bestSplit([1, 2, 3, 4, 5], ranks([1, 2, 3, 4, 5]), 3)).toBeNull();
  });
});

describe('change points', () => {
  it('finds one step where it is, with the smallest p the permutations allow', () => {
    const xs = noise(7, 40).map((v, i) => v + (i >= 24 ? 8 : 0));
    const r = changePoints(xs);
    expect(r.changePoints.map((c) => c.index)).toEqual([24]);
    expect(r.changePoints[0]!.p).toBeCloseTo(1 / 500, 9);
    expect(r.method).toMatch(/E-Divisive means .* alpha 0\.01/);
  });

  it('finds two steps, in order', () => {
    const xs = noise(11, 60).map((v, i) => v + (i >= 20 ? 6 : 0) + (i >= 45 ? -12 : 0));
    expect(changePoints(xs).changePoints.map((c) => c.index)).toEqual([20, 45]);
  });

  it('finds none in a constant series or in noise alone', () => {
    expect(changePoints(Array(30).fill(5)).changePoints).toEqual([]);
    expect(changePoints(noise(3, 40)).changePoints).toEqual([]);
  });

  it('cannot call 0 0 0 | 1 1 1 a change at alpha 0.01: 2 of the 20 arrangements split as well (p about 0.1)', () => {
    expect(changePoints([0, 0, 0, 1, 1, 1]).changePoints).toEqual([]);
    const loose = changePoints([0, 0, 0, 1, 1, 1], { alpha: 0.5, permutations: 999 });
    expect(loose.changePoints).toHaveLength(1);
    expect(loose.changePoints[0]!.p).toBeGreaterThan(0.07);
    expect(loose.changePoints[0]!.p).toBeLessThan(0.13);
  });

  it('does not call a single wild value a change, wherever it is', () => {
    for (const at of [0, 1, 20, 38, 39]) {
      const spike = noise(9, 40);
      spike[at] = 20;
      expect(changePoints(spike).changePoints, `wild value at ${at}`).toEqual([]);
    }
  });

  it('places a step minSize from the end where it is', () => {
    const late = noise(9, 40).map((v, i) => v + (i >= 38 ? 20 : 0));
    expect(changePoints(late, { minSize: 2 }).changePoints.map((c) => c.index)).toEqual([38]);
  });

  it('is deterministic, and refuses settings and values it cannot use', () => {
    const xs = noise(13, 30).map((v, i) => v + (i >= 15 ? 1.5 : 0));
    expect(changePoints(xs)).toEqual(changePoints(xs));
    expect(() => changePoints(xs, { alpha: 0 })).toThrow(/alpha/);
    expect(() => changePoints(xs, { minSize: 1 })).toThrow(/minSize/);
    expect(() => changePoints([1, NaN, 2])).toThrow(/finite/);
  });
});
