// Adaptive repeats (the rule perf_analyzer uses for stable measurements): a trial is repeated until
// the 95% interval of each video's median is within AUTO_PRECISION of that median, and a trial behind
// the incumbent within its first round, or after a later whole round, stops there: its figures already
// say it is not the best, and repeats are spent on contenders.

import type { Direction } from '../search/index.js';
import { AUTO_PRECISION, CLEAR_LOSER_MARGIN } from './policy.js';
import type { BlockValue } from './race.js';
import { bootstrapMedianInterval, median, valuesByVideo } from './stats.js';

const byVideo = (blocks: readonly BlockValue[]) => valuesByVideo(blocks, (b) => b.value);

/**
 * Every video's median within ±AUTO_PRECISION by its bootstrap 95% interval; needs 2 values a video.
 * On 2 or 3 values that interval is their range: a stability rule (the values agree), not a median
 * known to 5%, which is why the confirmation race measures the best again.
 */
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
 * Whether a trial is behind the best so far, so its repeats are better spent on contenders. Judged
 * within its first round and after each later whole round. While part of the first round is
 * measured: worse than the incumbent's median on every video measured so far by more than
 * CLEAR_LOSER_MARGIN x (videos a round has / videos measured - 1), a wide gap. Once a round is whole:
 * the median over videos of its ratio (its median on the video over the incumbent's) is worse than 1
 * (on an even count of videos, the mean of the middle two). Such a trial cannot be the new best on its
 * own figures, and one round is what the peers' samplers spend on every trial. Null when it is not
 * behind (or nothing can be compared).
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
  const partial = mine.size < videosPerRound;
  const margin = partial ? CLEAR_LOSER_MARGIN * (videosPerRound / Math.max(1, mine.size) - 1) : 0;
  const worse = (ratio: number) => (direction === 'minimize' ? ratio > 1 + margin : ratio < 1 - margin);
  const ratios: number[] = [];
  for (const [video, values] of mine) {
    const other = theirs.get(video);
    if (!other || other.length === 0) return null;
    const ratio = median(values)! / median(other)!;
    if (partial && !worse(ratio)) return null;
    ratios.push(ratio);
  }
  if (ratios.length === 0) return null;
  const ratio = median(ratios)!;
  return worse(ratio) ? { ratio } : null;
}
