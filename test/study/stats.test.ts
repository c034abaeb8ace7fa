import { describe, expect, it } from 'vitest';
import { bootstrapMedianInterval, mannWhitneyU, median, p90, RANK_TEST_ALPHA } from '../../src/study/stats.js';

describe('statistics', () => {
  it('computes exact medians and p90 on known data', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBeCloseTo(9.1, 10);
    expect(p90([1, 2, 3, 4, 5])).toBeCloseTo(4.6, 10);
    expect(p90([7])).toBe(7);
  });

  it('bootstraps an interval around the median, reproducible for a seed', () => {
    const data = [1.2, 1.25, 1.3, 1.31, 1.33, 1.4, 1.42, 1.5, 1.9, 2.4];
    const a = bootstrapMedianInterval(data, { seed: 42 })!;
    const b = bootstrapMedianInterval(data, { seed: 42 })!;
    const c = bootstrapMedianInterval(data, { seed: 43, resamples: 500 })!;
    expect(a).toEqual(b);
    expect(a.low).toBeLessThanOrEqual(median(data)!);
    expect(a.high).toBeGreaterThanOrEqual(median(data)!);
    expect(a.low).toBeGreaterThanOrEqual(Math.min(...data));
    expect(a.high).toBeLessThanOrEqual(Math.max(...data));
    expect(a.high).toBeGreaterThan(a.low);
    expect(c).not.toEqual(a);
    expect(bootstrapMedianInterval([], {})).toBeNull();
    expect(bootstrapMedianInterval([5])).toEqual({ low: 5, high: 5 });
  });

  it('rank test separates clearly different samples and not identical ones', () => {
    const fast = [1.01, 1.02, 1.0, 1.03, 1.04, 0.99];
    const slow = [1.5, 1.52, 1.49, 1.55, 1.51, 1.6];
    expect(mannWhitneyU(fast, slow).p).toBeLessThan(RANK_TEST_ALPHA);
    expect(mannWhitneyU(fast, [...fast]).p).toBeGreaterThanOrEqual(RANK_TEST_ALPHA);
    // Overlapping samples are not separated.
    expect(mannWhitneyU([1, 2, 3, 4], [1.5, 2.5, 3.5, 4.5]).p).toBeGreaterThan(0.5);
    // Exact small-sample values: 3 vs 3 fully separated is p = 2/20, 5 vs 5 is 2/252.
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6])).toMatchObject({ u: 0, p: 0.1, method: 'exact' });
    expect(mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p).toBeCloseTo(2 / 252, 12);
    // Large samples use the normal approximation.
    const big = (o: number) => Array.from({ length: 40 }, (_, i) => i + o);
    expect(mannWhitneyU(big(0), big(100))).toMatchObject({ method: 'normal' });
    expect(mannWhitneyU(big(0), big(100)).p).toBeLessThan(1e-6);
  });
});
