// Small-sample statistics for trial timings: median, p90, a seeded bootstrap interval of the median,
// and a two-sided Mann-Whitney U test to tell which trials cannot be told apart from the best.

import { mulberry32 } from '../util/prng.js';
import { median as ssMedian, quantile } from 'simple-statistics';

/** Significance level of the rank test: p >= ALPHA means "indistinguishable". */
export const RANK_TEST_ALPHA = 0.05;
export const BOOTSTRAP_RESAMPLES = 2000;

export function median(values: readonly number[]): number | null {
  return values.length === 0 ? null : ssMedian([...values]);
}

/** 90th percentile, linear interpolation between order statistics (R type 7). */
export function p90(values: readonly number[]): number | null {
  return values.length === 0 ? null : quantile([...values], 0.9);
}


export interface Interval {
  low: number;
  high: number;
}

/** Percentile bootstrap 95% interval of the median; null for an empty sample. */
export function bootstrapMedianInterval(
  values: readonly number[],
  options: { seed?: number; resamples?: number; level?: number } = {},
): Interval | null {
  const n = values.length;
  if (n === 0) return null;
  if (n === 1) return { low: values[0]!, high: values[0]! };
  const random = mulberry32(options.seed ?? 1);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? 0.95;
  const medians = new Float64Array(resamples);
  const draw = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) draw[i] = values[Math.floor(random() * n)]!;
    medians[r] = ssMedian(draw);
  }
  const sorted = Array.from(medians).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { low: quantile(sorted, tail), high: quantile(sorted, 1 - tail) };
}

export interface RankTest {
  u: number;
  p: number;
  /** 'exact' for small samples without ties, else the normal approximation with tie correction. */
  method: 'exact' | 'normal';
}

/** Two-sided Mann-Whitney U test of whether `a` and `b` come from the same distribution. */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): RankTest {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, p: 1, method: 'exact' };
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let r1 = 0;
  all.forEach((item, i) => {
    if (item.g === 0) r1 += ranks[i]!;
  });
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u = Math.min(u1, n1 * n2 - u1);
  if (tieTerm === 0 && n1 * n2 <= 400) return { u, p: exactTwoSided(u, n1, n2), method: 'exact' };
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' };
  const z = (Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), method: 'normal' };
}

/** P(U <= u) * 2 under H0, counting rank arrangements (no ties). */
function exactTwoSided(u: number, n1: number, n2: number): number {
  // counts[m][k] over growing n: number of arrangements of m values of group 1 among m + n with U = k.
  const maxU = n1 * n2;
  let prev: number[][] = Array.from({ length: n1 + 1 }, () => {
    const row = new Array<number>(maxU + 1).fill(0);
    row[0] = 1; // with no group-2 values, U is 0 for any m
    return row;
  });
  for (let n = 1; n <= n2; n++) {
    const next: number[][] = Array.from({ length: n1 + 1 }, () => new Array<number>(maxU + 1).fill(0));
    next[0]![0] = 1;
    for (let m = 1; m <= n1; m++) {
      for (let k = 0; k <= maxU; k++) {
        // The largest value is from group 1 (it beats all n of group 2) or from group 2.
        next[m]![k] = (k >= n ? next[m - 1]![k - n]! : 0) + prev[m]![k]!;
      }
    }
    prev = next;
  }
  const dist = prev[n1]!;
  const total = dist.reduce((s, c) => s + c, 0);
  let below = 0;
  for (let k = 0; k <= Math.floor(u); k++) below += dist[k]!;
  return Math.min(1, (2 * below) / total);
}

function normalCdf(z: number): number {
  // Abramowitz-Stegun 7.1.26 for erf.
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return 0.5 * (1 + erf);
}
