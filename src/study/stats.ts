// Small-sample statistics for trial timings: median, p90, a seeded bootstrap interval of the median,
// a two-sided Mann-Whitney U test to tell which trials cannot be told apart from the best, the
// Wilcoxon signed-rank test and Holm's correction for racing, modified z-scores for outliers, and
// Kendall's tau for comparing two rankings.

import { mulberry32 } from '../util/prng.js';
import { median as ssMedian, quantile } from 'simple-statistics';

/** Significance level of the rank test: p >= ALPHA means "indistinguishable". */
export const RANK_TEST_ALPHA = 0.05;
export const BOOTSTRAP_RESAMPLES = 2000;

export function median(values: readonly number[]): number | null {
  return values.length === 0 ? null : ssMedian([...values]);
}

/** Each video's values in the order given; items whose value is null are left out. */
export function valuesByVideo<T extends { videoUrl: string }>(items: readonly T[], value: (item: T) => number | null): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const item of items) {
    const v = value(item);
    if (v !== null) out.set(item.videoUrl, [...(out.get(item.videoUrl) ?? []), v]);
  }
  return out;
}

/** 90th percentile, linear interpolation between order statistics (R type 7). */
export function p90(values: readonly number[]): number | null {
  return values.length === 0 ? null : quantile([...values], 0.9);
}


export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  seed?: number;
  resamples?: number;
  level?: number;
}

/** Percentile bootstrap interval of a statistic, computed afresh from a seeded random source for each resample. */
function percentileBootstrap(statistic: (random: () => number) => number, options: BootstrapOptions): Interval {
  const random = mulberry32(options.seed ?? 1);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? 0.95;
  const values = Array.from({ length: resamples }, () => statistic(random)).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { low: quantile(values, tail), high: quantile(values, 1 - tail) };
}

/** The median of a resample of `values` (with replacement, same size). */
function resampledMedian(values: readonly number[], random: () => number): number {
  return ssMedian(values.map(() => values[Math.floor(random() * values.length)]!));
}

/** Percentile bootstrap 95% interval of the median; null for fewer than 2 values (one figure has no interval). */
export function bootstrapMedianInterval(values: readonly number[], options: BootstrapOptions = {}): Interval | null {
  if (values.length < 2) return null;
  return percentileBootstrap((random) => resampledMedian(values, random), options);
}

/**
 * Percentile bootstrap 95% interval of median(numerator) / median(denominator), each sample resampled
 * on its own: how far apart two sets of figures of one config may lie by their noise alone. Null when
 * either has fewer than 2 values.
 */
export function bootstrapMedianRatioInterval(numerator: readonly number[], denominator: readonly number[], options: BootstrapOptions = {}): Interval | null {
  if (numerator.length < 2 || denominator.length < 2) return null;
  return percentileBootstrap((random) => resampledMedian(numerator, random) / resampledMedian(denominator, random), options);
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

/**
 * The smallest p-value the rank test can give samples of these sizes (every value of one below every
 * value of the other): at or above alpha, the test cannot tell any two configs apart (one figure
 * against four gives at best 0.4), and "not significantly different" says nothing.
 */
export function smallestRankTestP(n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  return mannWhitneyU(
    Array.from({ length: n1 }, (_, i) => i),
    Array.from({ length: n2 }, (_, i) => n1 + i),
  ).p;
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

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface SignedRankTest {
  /** Sum of the ranks of the positive differences (R's V, SciPy's one-sided statistic). */
  v: number;
  /** Differences that were not zero (zeros are dropped, as R and SciPy's 'wilcox' do). */
  n: number;
  p: number;
  /** 'exact' for fewer than 50 differences without ties, else the normal approximation with tie and continuity correction. */
  method: 'exact' | 'normal';
}

/**
 * Wilcoxon signed-rank test of paired differences: is their location 0? 'greater' asks whether the
 * differences tend to be positive. Matches R's wilcox.test(d, alternative, correct = TRUE).
 */
export function wilcoxonSignedRank(differences: readonly number[], alternative: Alternative = 'two-sided'): SignedRankTest {
  const d = differences.filter((x) => x !== 0 && Number.isFinite(x));
  const n = d.length;
  if (n === 0) return { v: 0, n: 0, p: 1, method: 'exact' };
  const order = d.map((x) => ({ abs: Math.abs(x), positive: x > 0 })).sort((a, b) => a.abs - b.abs);
  let v = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && order[j + 1]!.abs === order[i]!.abs) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (order[k]!.positive) v += rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  if (tieTerm === 0 && n < 50) {
    const counts = signedRankCounts(n);
    const total = 2 ** n;
    let atMost = 0;
    for (let k = 0; k <= v; k++) atMost += counts[k]!;
    const atLeast = total - atMost + counts[v]!;
    const pLess = atMost / total;
    const pGreater = atLeast / total;
    const p = alternative === 'greater' ? pGreater : alternative === 'less' ? pLess : Math.min(1, 2 * Math.min(pLess, pGreater));
    return { v, n, p, method: 'exact' };
  }
  const mean = (n * (n + 1)) / 4;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  if (sd === 0) return { v, n, p: 1, method: 'normal' };
  const diff = v - mean;
  const correction = alternative === 'two-sided' ? Math.sign(diff) * 0.5 : alternative === 'greater' ? 0.5 : -0.5;
  const z = (diff - correction) / sd;
  const p =
    alternative === 'greater' ? 1 - normalCdf(z) : alternative === 'less' ? normalCdf(z) : Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  return { v, n, p, method: 'normal' };
}

const signedRankCache = new Map<number, number[]>();

/** counts[k] = how many of the 2^n sign patterns of ranks 1..n have positive-rank sum k. */
function signedRankCounts(n: number): number[] {
  const cached = signedRankCache.get(n);
  if (cached) return cached;
  const max = (n * (n + 1)) / 2;
  let counts = new Array<number>(max + 1).fill(0);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) {
    const next = counts.slice();
    for (let k = r; k <= max; k++) next[k]! += counts[k - r]!;
    counts = next;
  }
  signedRankCache.set(n, counts);
  return counts;
}

/** Holm's step-down adjustment of p-values (R's p.adjust(p, "holm")), in the input order. */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Above this |modified z-score| a value is an outlier (Iglewicz and Hoaglin). */
export const OUTLIER_Z = 3.5;

/**
 * Modified z-scores 0.6745 (x - median) / MAD. When the MAD is 0 (more than half the values equal),
 * the mean absolute deviation x 1.2533 stands in for it; when that is 0 too, every score is 0.
 */
export function modifiedZScores(values: readonly number[]): number[] {
  const m = median(values);
  if (m === null) return [];
  const deviations = values.map((v) => Math.abs(v - m));
  const mad = median(deviations)!;
  if (mad > 0) return values.map((v) => (0.6745 * (v - m)) / mad);
  const meanAd = deviations.reduce((a, b) => a + b, 0) / values.length;
  if (meanAd === 0) return values.map(() => 0);
  return values.map((v) => (v - m) / (1.253314 * meanAd));
}

/** Kendall's tau-b between two paired lists of scores (ties counted as neither concordant nor discordant). */
export function kendallTau(a: readonly number[], b: readonly number[]): number | null {
  const n = Math.min(a.length, b.length);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const da = Math.sign(a[i]! - a[j]!);
      const db = Math.sign(b[i]! - b[j]!);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const denominator = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return denominator === 0 ? null : (concordant - discordant) / denominator;
}

/** The standard normal distribution function. */
export function normalCdf(z: number): number {
  if (z < 0) return 1 - normalCdf(-z);
  // Abramowitz-Stegun 7.1.26 for erf (absolute error below 1.5e-7).
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return 0.5 * (1 + erf);
}
