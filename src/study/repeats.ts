// Adaptive repeats (the rule perf_analyzer uses for stable measurements): a trial is repeated until
// the 95% interval of each video's median is within AUTO_PRECISION of that median, and a trial that
// is clearly slower than the incumbent within its first round stops there: its figures already say
// it is not the best, and repeats are spent on contenders.

import type { Direction } from '../search/index.js';
import { AUTO_PRECISION, CLEAR_LOSER_MARGIN } from './policy.js';
import type { BlockValue } from './race.js';
import { bootstrapMedianInterval, median } from './stats.js';

const byVideo = (blocks: readonly BlockValue[]) => {
  const out = new Map<string, number[]>();
  for (const b of blocks) if (b.value !== null) out.set(b.videoUrl, [...(out.get(b.videoUrl) ?? []), b.value]);
  return out;
};

/** Every video's median known to within ±AUTO_PRECISION (bootstrap 95% interval); needs 2 values a video. */
export function isPrecise(blocks: readonly BlockValue[], seed: number, precision = AUTO_PRECISION): boolean {
  const videos = byVideo(blocks);
  if (videos.size === 0) return false;
  for (const values of videos.values()) {
    if (values.length < 2) return false;
    const m = median(values)!;
    const interval = bootstrapMedianInterval(values, { seed, resamples: 500 })!;
    if (Math.max(m - interval.low, interval.high - m) > precision * Math.abs(m)) return false;
  }
  return true;
}

export interface ClearLoss {
  /** Median over videos of this trial's value / the incumbent's median on that video (time-like: > 1 is worse). */
  ratio: number;
}

/**
 * Within its first round: on every video measured so far the trial is worse than the incumbent's
 * median there by more than the margin, CLEAR_LOSER_MARGIN x (videos a round has / videos measured
 * - 1): a wide gap while part of the round is measured, none once all of it is (a trial worse than
 * the best so far on every video is not a contender: its repeats are better spent on those that
 * are). Null when it is not (or nothing can be compared).
 */
export function clearLoss(
  trial: readonly BlockValue[],
  incumbent: readonly BlockValue[],
  direction: Direction,
  videosPerRound: number,
): ClearLoss | null {
  const mine = byVideo(trial);
  const theirs = byVideo(incumbent);
  if (trial.some((b) => b.value === null)) return null; // a failure is the feasibility rule's business
  const margin = CLEAR_LOSER_MARGIN * (videosPerRound / Math.max(1, mine.size) - 1);
  const ratios: number[] = [];
  for (const [video, values] of mine) {
    const other = theirs.get(video);
    if (!other || other.length === 0) return null;
    const value = median(values)!;
    if (direction === 'minimize') {
      if (!(value > median(other)! * (1 + margin))) return null;
    } else if (!(value < median(other)! * (1 - margin))) return null;
    ratios.push(value / median(other)!);
  }
  return ratios.length === 0 ? null : { ratio: median(ratios)! };
}
