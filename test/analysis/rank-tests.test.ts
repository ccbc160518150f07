// The tests behind compare of several runs per side, against values worked by hand.
import { describe, expect, it } from 'vitest';
import { fisherWorse, mannWhitney, smallestP } from '../../src/analysis/rank-tests.js';

describe('Mann-Whitney U', () => {
  it('is exact for small samples without ties: complete separation of 3 vs 3 is p = 2/20', () => {
    expect(mannWhitney([1, 2, 3], [4, 5, 6])).toEqual({ u: 0, p: 0.1, method: 'exact' });
    expect(mannWhitney([4, 5, 6], [1, 2, 3]).p).toBeCloseTo(0.1, 12);
    expect(smallestP(5, 5)).toBeCloseTo(2 / 252, 12);
    expect(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p).toBeCloseTo(2 / 252, 12);
  });

  it('counts the tail both ways: one swap in 4 vs 4 is p = 4/70', () => {
    // U = 1: P(U <= 1) = 2/70 on each side.
    expect(mannWhitney([1, 2, 3, 5], [4, 6, 7, 8]).p).toBeCloseTo(4 / 70, 12);
  });

  it('interleaved samples are far from significant; ties use the normal approximation', () => {
    expect(mannWhitney([1, 3, 5, 7], [2, 4, 6, 8]).p).toBeGreaterThan(0.5);
    const tied = mannWhitney([1, 1, 2, 2, 3], [2, 3, 3, 4, 4]);
    expect(tied.method).toBe('normal');
    expect(tied.p).toBeGreaterThan(0.05);
    expect(tied.p).toBeLessThan(0.5);
    expect(mannWhitney([5, 5, 5], [5, 5, 5]).p).toBe(1);
  });
});

describe('Fisher exact, one-sided', () => {
  it('5 of 5 bad after none of 5 before: p = 1/252', () => {
    expect(fisherWorse(0, 5, 5, 5)).toBeCloseTo(1 / 252, 12);
    expect(fisherWorse(5, 5, 0, 5)).toBe(1);
    expect(fisherWorse(1, 5, 1, 5)).toBeGreaterThan(0.5);
  });
});
