import { describe, expect, it } from 'vitest';
import { linearFit, median, quantile, t975 } from '../../src/analysis/stats.js';

describe('stats', () => {
  it('median and quantiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile([0, 10], 0.9)).toBeCloseTo(9);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('t quantiles match the table and approach the normal', () => {
    expect(t975(1)).toBeCloseTo(12.706, 3);
    expect(t975(7)).toBeCloseTo(2.365, 3);
    expect(t975(100)).toBeCloseTo(1.984, 2);
    expect(t975(0)).toBe(Infinity);
  });

  it('fits an exact line with a zero-width interval, and widens it by the noise floor', () => {
    const xs = [0, 1, 2, 3, 4];
    const ys = xs.map((x) => 3 + 2 * x);
    const f = linearFit(xs, ys);
    expect(f.slope).toBeCloseTo(2, 12);
    expect(f.intercept).toBeCloseTo(3, 12);
    expect(f.slopeCI[1] - f.slopeCI[0]).toBeCloseTo(0, 9);
    const g = linearFit(xs, ys, 1);
    // sd 1 over Sxx = 10: SE = 0.316, t(3) = 3.182
    expect(g.slopeCI[1] - g.slope).toBeCloseTo(3.182 / Math.sqrt(10), 3);
  });

  it('refuses fits it cannot make', () => {
    expect(() => linearFit([1], [1])).toThrow(/two points/);
    expect(() => linearFit([1, 1], [1, 2])).toThrow(/distinct/);
  });
});
