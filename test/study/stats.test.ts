import { describe, expect, it } from 'vitest';
import {
  smallestRankTestP,
  bootstrapMedianInterval,
  bootstrapMedianRatioInterval,
  holm,
  kendallTau,
  mannWhitneyU,
  median,
  modifiedZScores,
  OUTLIER_Z,
  p90,
  RANK_TEST_ALPHA,
  wilcoxonSignedRank,
} from '../../src/study/stats.js';

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
    expect(bootstrapMedianInterval([5])).toBeNull();
  });

  it('bootstraps the ratio of two medians: around 1 for two draws of one figure, away from 1 for a real gap', () => {
    const search = [0.47, 0.474, 0.477, 0.527, 0.554, 0.563];
    const same = [0.468, 0.49, 0.51, 0.53, 0.55, 0.48, 0.5];
    const faster = search.map((v) => v * 0.8);
    const a = bootstrapMedianRatioInterval(same, search, { seed: 3 })!;
    expect(a).toEqual(bootstrapMedianRatioInterval(same, search, { seed: 3 }));
    expect(a.low).toBeLessThan(1);
    expect(a.high).toBeGreaterThan(1);
    const b = bootstrapMedianRatioInterval(faster, search, { seed: 3 })!;
    expect(b.high).toBeLessThan(1);
    expect(b.low).toBeGreaterThan(0.8 * Math.min(...search) / Math.max(...search) - 1e-9);
    expect(bootstrapMedianRatioInterval([1], search)).toBeNull();
    expect(bootstrapMedianRatioInterval(search, [])).toBeNull();
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

// Reference values from SciPy 1.17 (scipy.stats.wilcoxon, kendalltau) and R (p.adjust "holm").
describe('racing statistics against reference values', () => {
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
  const d = x.map((v, i) => v - y[i]!);

  it('Wilcoxon signed-rank, exact for small samples without ties', () => {
    expect(wilcoxonSignedRank(d, 'two-sided')).toMatchObject({ v: 40, n: 9, method: 'exact' });
    expect(wilcoxonSignedRank(d, 'two-sided').p).toBeCloseTo(0.0390625, 12);
    expect(wilcoxonSignedRank(d, 'greater').p).toBeCloseTo(0.01953125, 12);
    expect(wilcoxonSignedRank(d, 'less').p).toBeCloseTo(0.986328125, 12);
    // Five positive differences: the smallest one-sided p five blocks can give, 1/32.
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5], 'greater').p).toBeCloseTo(0.03125, 12);
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5]).p).toBeCloseTo(0.0625, 12);
    // Zeros are dropped (R; SciPy zero_method="wilcox").
    const zeros = [0, 0.1, 0.2, -0.3, 0.4, 0.5, 0.6, 0.7];
    expect(wilcoxonSignedRank(zeros, 'two-sided')).toMatchObject({ n: 7, v: 25 });
    expect(wilcoxonSignedRank(zeros, 'two-sided').p).toBeCloseTo(0.078125, 12);
    expect(wilcoxonSignedRank(zeros, 'greater').p).toBeCloseTo(0.0390625, 12);
    const n30 = [
      0.6456, 1.1216, 0.6304, -1.0032, 1.2054, 0.7464, -0.237, 0.8811, 0.6646, 0.5941, 0.3284, 0.8467, -0.4365, 0.1371, -0.1821,
      0.8988, 0.3397, 0.0075, -0.4819, 0.0428, 0.3081, 0.0244, 1.5941, 1.3067, -2.4112, -1.589, 0.1252, -0.1222, 0.5136, 0.5173,
    ];
    expect(wilcoxonSignedRank(n30, 'greater')).toMatchObject({ v: 339, method: 'exact' });
    expect(wilcoxonSignedRank(n30, 'greater').p).toBeCloseTo(0.013870718888938427, 12);
    expect(wilcoxonSignedRank(n30, 'two-sided').p).toBeCloseTo(0.027741437777876854, 12);
    expect(wilcoxonSignedRank([], 'greater')).toMatchObject({ n: 0, p: 1 });
  });

  it('Wilcoxon signed-rank, normal approximation with tie and continuity correction', () => {
    const ties = [0.1, 0.2, 0.2, -0.05, 0.3, 0.3, 0.3, 0.4, -0.1, 0.5];
    expect(wilcoxonSignedRank(ties, 'greater')).toMatchObject({ v: 51.5, method: 'normal' });
    expect(wilcoxonSignedRank(ties, 'greater').p).toBeCloseTo(0.008092226925579848, 6);
    expect(wilcoxonSignedRank(ties, 'two-sided').p).toBeCloseTo(0.016184453851159696, 6);
    expect(wilcoxonSignedRank(ties, 'less').p).toBeCloseTo(0.9939129650366539, 6);
  });

  it("Holm's step-down adjustment", () => {
    expect(holm([0.01, 0.04, 0.03, 0.005]).map((p) => +p.toFixed(12))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
    expect(holm([0.2, 0.01])).toEqual([0.2, 0.02]);
    expect(holm([0.02])).toEqual([0.02]);
    expect(holm([])).toEqual([]);
  });

  it('modified z-scores on the median absolute deviation', () => {
    const z = modifiedZScores([2.1, 2.0, 2.2, 2.05, 5.0, 2.15]);
    const expected = [-0.224833333333332, -1.124166666666664, 0.6745, -0.6745, 25.855833333333273, 0.224833333333332];
    z.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
    expect(z.filter((v) => Math.abs(v) > OUTLIER_Z)).toHaveLength(1);
    // More than half the values equal: the mean absolute deviation stands in, the odd one still stands out.
    expect(Math.abs(modifiedZScores([1, 1, 1, 1, 3])[4]!)).toBeGreaterThan(OUTLIER_Z);
    expect(modifiedZScores([2, 2, 2])).toEqual([0, 0, 0]);
  });

  it("Kendall's tau-b", () => {
    expect(kendallTau([1, 2, 3, 4, 5], [3, 4, 1, 2, 5])).toBeCloseTo(0.2, 12);
    expect(kendallTau([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])).toBeCloseTo(0.8, 12);
    expect(kendallTau([1, 2, 2, 3, 4], [1, 3, 2, 2, 4])).toBeCloseTo(0.6666666666666666, 12);
    expect(kendallTau([1, 1], [2, 2])).toBeNull();
  });
});

describe('smallestRankTestP', () => {
  it('is the exact two-sided p of full separation: 2 / C(n1 + n2, n1)', () => {
    expect(smallestRankTestP(1, 4)).toBeCloseTo(2 / 5, 10);
    expect(smallestRankTestP(2, 4)).toBeCloseTo(2 / 15, 10);
    expect(smallestRankTestP(3, 5)).toBeCloseTo(2 / 56, 10);
    expect(smallestRankTestP(0, 5)).toBe(1);
    // Large samples (the normal approximation) can always reach the alpha.
    expect(smallestRankTestP(30, 30)).toBeLessThan(1e-6);
  });
});
