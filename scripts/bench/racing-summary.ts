// bench:racing's figures from its side-by-side run of the studies' winners and a fixed reference
// config: a winner against another (or the reference) on the challenges they share (same video, same
// round), and the comparison of two study variants over several seeds.

import { bootstrapMedianInterval, median, wilcoxonSignedRank } from '../../src/study/stats.js';
import { quantile } from './search-harness.js';
import type { ChallengeRecord } from './side-by-side.js';

/** Tied: the paired test cannot tell them apart (p >= ALPHA), or they are within TIE_WITHIN. */
export const ALPHA = 0.05;
export const TIE_WITHIN = 0.05;

export interface PairedRatio {
  /** a's time / b's time: exp of the median paired log ratio; null without a pair. */
  ratio: number | null;
  low: number | null;
  high: number | null;
  /** Wilcoxon signed-rank on the log ratios, two-sided. */
  p: number | null;
  pairs: number;
}

/** a against b on every (video, round) both answered without error. */
export function pairedRatio(records: readonly ChallengeRecord[], a: string, b: string): PairedRatio {
  const timeOf = (label: string) => {
    const out = new Map<string, number>();
    for (const r of records) if (r.contender === label && r.error === null && r.timeline.total) out.set(`${r.video}\u0000${r.repeat}`, r.timeline.total);
    return out;
  };
  const ta = timeOf(a);
  const tb = timeOf(b);
  const logRatios: number[] = [];
  for (const [cell, t] of ta) {
    const u = tb.get(cell);
    if (u) logRatios.push(Math.log(t / u));
  }
  return logRatioFigures(logRatios);
}

function logRatioFigures(logRatios: readonly number[]): PairedRatio {
  if (logRatios.length === 0) return { ratio: null, low: null, high: null, p: null, pairs: 0 };
  const ci = bootstrapMedianInterval(logRatios);
  return {
    ratio: Math.exp(median(logRatios)!),
    low: ci ? Math.exp(ci.low) : null,
    high: ci ? Math.exp(ci.high) : null,
    p: logRatios.length > 1 ? wilcoxonSignedRank(logRatios, 'two-sided').p : null,
    pairs: logRatios.length,
  };
}

export type Verdict = 'same' | 'tied' | 'faster' | 'slower' | 'none';

/** What a's winner is against b's: the same config, tied, faster or slower; none without a test. */
export function verdictOf(same: boolean, h2h: PairedRatio | null): Verdict {
  if (same) return 'same';
  // One pair is no test: neither tied nor apart.
  if (!h2h || h2h.ratio === null || h2h.p === null) return 'none';
  if (h2h.p >= ALPHA || Math.abs(h2h.ratio - 1) <= TIE_WITHIN) return 'tied';
  return h2h.ratio < 1 ? 'faster' : 'slower';
}

export interface SeedComparison {
  seed: number;
  /** a's challenges / b's. */
  share: number | null;
  /** a's winner / the reference, b's winner / the reference (paired medians of the side-by-side run). */
  aToReference: number | null;
  bToReference: number | null;
  verdict: Verdict;
}

export interface AcrossSeeds {
  seeds: number;
  share: { median: number | null; max: number | null; atMost: number; limit: number };
  verdicts: Record<Verdict, number>;
  /** Per variant, its winners' time over the reference's: median and the 80th percentile over seeds (lower is faster). */
  aToReference: { median: number | null; p80: number | null };
  bToReference: { median: number | null; p80: number | null };
  /** a's winner / b's winner, each through the reference, over the seeds where both have one: a paired test across seeds. */
  aOverB: PairedRatio;
}

export function acrossSeeds(rows: readonly SeedComparison[], shareLimit: number): AcrossSeeds {
  const shares = rows.map((r) => r.share).filter((s): s is number => s !== null);
  const verdicts: Record<Verdict, number> = { same: 0, tied: 0, faster: 0, slower: 0, none: 0 };
  for (const r of rows) verdicts[r.verdict]++;
  const spread = (values: (number | null)[]) => {
    const v = values.filter((x): x is number => x !== null);
    return { median: median(v), p80: v.length ? quantile(v, 0.8) : null };
  };
  const logRatios = rows.flatMap((r) => (r.aToReference !== null && r.bToReference !== null ? [Math.log(r.aToReference / r.bToReference)] : []));
  return {
    seeds: rows.length,
    share: { median: median(shares), max: shares.length ? Math.max(...shares) : null, atMost: shares.filter((s) => s <= shareLimit).length, limit: shareLimit },
    verdicts,
    aToReference: spread(rows.map((r) => r.aToReference)),
    bToReference: spread(rows.map((r) => r.bToReference)),
    aOverB: logRatioFigures(logRatios),
  };
}
