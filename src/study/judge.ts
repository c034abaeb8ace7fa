// After each block of a trial of the search (one video at one repeat), whether it goes on and with
// which block, or why it stops: the planned repeats are done; adaptive repeats reached their precision
// or found the trial behind the best (within its first round, or after any later whole round); it can
// no longer become feasible, or (a sampled trial) is under the accuracy floor on a video; or the race
// dropped it.
// Blocks run round by round: every video at repeat 1, then every video at repeat 2, and so on.

import type { Direction } from '../search/index.js';
import { videoName } from '../util/format.js';
import type { ObjectiveSpec, TrialVerdict } from '../store/types.js';
import { AUTO_MIN_REPEATS, FAR_BELOW_FLOOR, maxRepeatsOf, stopsEarly, type MeasurePolicy } from './policy.js';
import { searchRaceDrop, type BlockValue } from './race.js';
import { clearLoss, isPrecise } from './repeats.js';
import { valuesByVideo } from './stats.js';

export interface TrialBlock extends BlockValue {
  failed: boolean;
  accuracy: number | null;
}

/** The blocks a race can compare: failed ones (the worst) and those with a value (a normalised value needs a control measurement). */
export const comparable = <B extends TrialBlock>(blocks: readonly B[]): B[] => blocks.filter((b) => b.failed || b.value !== null);

export interface JudgeInput {
  /** The trial's blocks so far, in the order they ran. */
  blocks: readonly TrialBlock[];
  videos: readonly string[];
  policy: MeasurePolicy;
  objective: ObjectiveSpec;
  direction: Direction;
  /** Baselines are yardsticks: never raced (the confirmation race measures them again). */
  baseline: boolean;
  /**
   * The control's own trial: never cut short as a loser (its speed is the reference, not a contender's).
   * One that cannot become feasible stops like any trial: the control rounds carry its speed series.
   */
  control: boolean;
  /** The best feasible finished trial so far, with its search blocks (same normalisation as `blocks`). */
  incumbent: { number: number; blocks: readonly BlockValue[] } | null;
  /** Whether the values are normalised by the control (the host's speed moved). */
  normalised: boolean;
  seed: number;
}

export type Judgement =
  | { kind: 'next'; videoUrl: string; repeat: number }
  | { kind: 'stop'; state: 'COMPLETE' | 'PRUNED'; verdict: TrialVerdict; reason: string | null };

export function judgeTrial(input: JudgeInput): Judgement {
  const { blocks, videos, policy, objective, direction } = input;
  const k = blocks.length;
  const v = videos.length;
  const planned = maxRepeatsOf(policy.repeats) * v;
  const verdict = (kind: TrialVerdict['kind'], extra: Partial<TrialVerdict> = {}): TrialVerdict => ({
    kind,
    challenges: k,
    planned,
    repeats: Math.ceil(k / v),
    ...extra,
  });
  const stop = (state: 'COMPLETE' | 'PRUNED', kind: TrialVerdict['kind'], reason: string | null, extra: Partial<TrialVerdict> = {}): Judgement => ({
    kind: 'stop',
    state,
    verdict: verdict(kind, extra),
    reason,
  });

  if (k > 0 && stopsEarly(policy)) {
    const hopeless = unrecoverable(blocks, objective) ?? (input.baseline ? null : underFloor(blocks, objective));
    if (hopeless) return stop('COMPLETE', 'infeasible', `stopped after ${k}/${planned} challenges: ${hopeless}`);
    if (!input.baseline && input.incumbent) {
      const drop = searchRaceDrop(comparable(blocks), input.incumbent.blocks, direction, policy.racing);
      if (drop) {
        return stop(
          'PRUNED',
          'race',
          `dropped by the race after ${k}/${planned} challenges: worse than trial ${input.incumbent.number} ` +
            `on ${drop.n} shared blocks (Wilcoxon signed-rank, p = ${drop.p.toPrecision(2)}${input.normalised ? ', control-normalised' : ''})`,
          { p: drop.p, vs: input.incumbent.number, normalised: input.normalised },
        );
      }
    }
  }
  // Adaptive repeats go to contenders: a trial behind the best so far is judged on its first round
  // (see clearLoss), and a contender whose later rounds put it behind the best is no longer one.
  if (k > 0 && (k <= v || k % v === 0) && policy.repeats.kind === 'auto' && !input.control && input.incumbent) {
    const loss = clearLoss(comparable(blocks), input.incumbent.blocks, direction, v);
    if (loss) return stop('COMPLETE', 'clear-loser', null, { ratio: loss.ratio, vs: input.incumbent.number, normalised: input.normalised });
  }
  if (k > 0 && k % v === 0) {
    const round = k / v;
    if (policy.repeats.kind === 'fixed') {
      if (round >= policy.repeats.repeats) return stop('COMPLETE', 'planned', null);
    } else {
      if (round >= AUTO_MIN_REPEATS && isPrecise(blocks, input.seed)) return stop('COMPLETE', 'precise', null);
      if (round >= policy.repeats.maxRepeats) return stop('COMPLETE', 'planned', null);
    }
  }
  return { kind: 'next', videoUrl: videos[k % v]!, repeat: Math.floor(k / v) + 1 };
}

/** Why no further block can make the trial feasible, or null while it still can. */
export function unrecoverable(blocks: readonly TrialBlock[], objective: ObjectiveSpec): string | null {
  const failed = blocks.filter((b) => b.failed).length;
  // Feasibility allows no failed challenge.
  if (failed > 0) return `${failed} challenge(s) failed`;
  if (objective.kind === 'fastest-safe' && blocks.length > 0) {
    const far = objective.accuracyFloor - FAR_BELOW_FLOOR;
    if (blocks.every((b) => b.accuracy !== null && b.accuracy < far)) {
      const best = Math.max(...blocks.map((b) => b.accuracy!));
      return `accuracy at most ${best.toFixed(3)} on every challenge, far below the floor ${objective.accuracyFloor}`;
    }
  }
  return null;
}

/**
 * Why a sampled trial is infeasible on its figures so far, or null: a video whose every accuracy so far
 * is under the floor. Feasibility takes each video's median accuracy and the lowest of them, so no
 * other video can save it; only later repeats of that video could, and a video's accuracy rarely
 * changes between repeats (the same frames through the same model; a time budget or a stalled stream
 * can move it: in the 3-repeat sn44 studies of `npm run bench:racing`, 1 of 907 trials this rule stops
 * was feasible by its medians). So such a trial is judged on its first values, as a clear loser is;
 * baselines keep their repeats (they are the yardsticks of every speed-up).
 */
export function underFloor(blocks: readonly TrialBlock[], objective: ObjectiveSpec): string | null {
  if (objective.kind !== 'fastest-safe') return null;
  for (const [video, values] of valuesByVideo(blocks, (b) => b.accuracy)) {
    if (values.every((a) => a < objective.accuracyFloor)) {
      return `accuracy ${Math.max(...values).toFixed(3)} on ${videoName(video)}, under the floor ${objective.accuracyFloor} (a video's accuracy rarely changes between repeats)`;
    }
  }
  return null;
}
