// Median/MAD outliers against values worked by hand.
import { describe, expect, it } from 'vitest';
import { mad, majority, modifiedZ, robustOutliers } from '../../src/analysis/robust.js';

describe('median absolute deviation', () => {
  it('is the median distance from the median', () => {
    // median 3; distances 2 1 0 1 97 -> sorted 0 1 1 2 97 -> 1
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    expect(mad([5, 5, 5])).toBe(0);
    expect(mad([])).toBeNaN();
  });

  it('scores like a standard score: 0.6745 (x - median) / MAD', () => {
    expect(modifiedZ(100, 3, 1)).toBeCloseTo(0.6745 * 97, 12);
    expect(modifiedZ(3, 3, 0)).toBe(0);
    expect(modifiedZ(4, 3, 0)).toBe(Infinity);
    expect(modifiedZ(2, 3, 0)).toBe(-Infinity);
  });
});

describe('robust outliers', () => {
  it('names the wild value and leaves the rest', () => {
    const r = robustOutliers([1, 2, 3, 4, 100]);
    expect(r.median).toBe(3);
    expect(r.outliers).toEqual([4]);
  });

  it('is not dragged by a few outliers: 3 of 32 far off are all found, the 29 none', () => {
    const xs = Array.from({ length: 32 }, (_, i) => (i % 11 === 5 ? 1.0 : 0.001 * ((i * 7) % 5)));
    const r = robustOutliers(xs);
    expect(r.outliers).toEqual([5, 16, 27]);
    expect(r.median).toBeLessThan(0.01);
  });

  it('with identical nodes, only a difference the rule counts is an outlier', () => {
    const xs = [0, 0, 0, 0, 0, 0.001, 0.5];
    expect(robustOutliers(xs).outliers).toEqual([5, 6]);
    expect(robustOutliers(xs, { differs: (m, v) => Math.abs(v - m) > 0.02 }).outliers).toEqual([6]);
  });

  it('a plain spread of values has no outlier at 3.5', () => {
    expect(robustOutliers([10, 11, 9, 10.5, 9.5, 10.2, 9.8]).outliers).toEqual([]);
  });
});

describe('majority', () => {
  it('is the value more than half share, else none', () => {
    expect(majority(['pass', 'pass', 'fail'])).toEqual({ value: 'pass', count: 2 });
    expect(majority(['pass', 'fail'])).toBeNull();
    expect(majority([])).toBeNull();
  });
});
