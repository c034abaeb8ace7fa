// Racing (after irace): configs are set against each other block by block, a block being one video at
// one repeat (the race's round). On the blocks two configs share, a one-sided Wilcoxon signed-rank
// test asks whether one is worse; in the confirmation race, where several are compared with the best
// at once, Holm's correction keeps the chance of dropping any config wrongly under alpha.
//
// Per-block differences: log(time / other time) for fastest-safe (scale-free across videos of
// different lengths), other score - score for sn44; positive means worse. A failed challenge is worse
// than any answer.

import type { Direction } from '../search/index.js';
import type { RacePolicy } from './policy.js';
import { holm, median, wilcoxonSignedRank } from './stats.js';

export interface BlockValue {
  videoUrl: string;
  repeat: number;
  /** The objective's per-challenge value (time, ratio, or SN44 estimate); null for a failed challenge. */
  value: number | null;
}

/** The difference a failed block makes against an answered one: larger than any real one. */
const FAILED_BLOCK = 1e6;

const keyOf = (b: BlockValue) => `${b.repeat}\u0000${b.videoUrl}`;

/** Differences (positive = `a` worse) on the blocks `a` and `b` share. */
export function blockDifferences(a: readonly BlockValue[], b: readonly BlockValue[], direction: Direction): number[] {
  const partner = new Map<string, BlockValue>();
  for (const x of b) if (!partner.has(keyOf(x))) partner.set(keyOf(x), x);
  const out: number[] = [];
  for (const x of a) {
    const y = partner.get(keyOf(x));
    if (!y) continue;
    if (x.value === null || y.value === null) out.push(x.value === y.value ? 0 : x.value === null ? FAILED_BLOCK : -FAILED_BLOCK);
    else if (direction === 'minimize') out.push(x.value > 0 && y.value > 0 ? Math.log(x.value / y.value) : x.value - y.value);
    else out.push(y.value - x.value);
  }
  return out;
}

export interface PairedTest {
  /** Shared blocks. */
  n: number;
  /** One-sided p-value of "a is worse than b". */
  p: number;
}

export function pairedWorse(a: readonly BlockValue[], b: readonly BlockValue[], direction: Direction): PairedTest {
  const d = blockDifferences(a, b, direction);
  return { n: d.length, p: wilcoxonSignedRank(d, 'greater').p };
}

/** The search race: is the trial significantly worse than the incumbent on the blocks they share? */
export function searchRaceDrop(
  trial: readonly BlockValue[],
  incumbent: readonly BlockValue[],
  direction: Direction,
  policy: RacePolicy,
): PairedTest | null {
  if (!policy.enabled) return null;
  const test = pairedWorse(trial, incumbent, direction);
  return test.n >= policy.minBlocks && test.p < policy.alpha ? test : null;
}

/** Median of the answered blocks, a failed block counting as the worst possible. */
export function blockMedian(blocks: readonly BlockValue[], direction: Direction): number | null {
  const worst = direction === 'minimize' ? Infinity : -Infinity;
  return median(blocks.map((b) => (b.value === null ? worst : b.value)));
}

export interface RaceDrop {
  /** Round after which the race dropped it. */
  round: number;
  /** Holm-adjusted one-sided p-value against `vs`, and the unadjusted one. */
  p: number;
  rawP: number;
  vs: number;
  blocks: number;
}

export interface ConfirmRace {
  /** Trial ids of the contenders, in the order given. */
  contenders: number[];
  /** Rounds every live contender finished. */
  rounds: number;
  dropped: Map<number, RaceDrop>;
  /**
   * Kept contenders (the control) that the race would drop, as of the last round it compared them:
   * still measured, but no survivor on their merits (the ranking puts them with the dropped).
   */
  outpaced: Map<number, RaceDrop>;
  live: number[];
}

export interface ConfirmRaceInput {
  contenders: readonly number[];
  /** Contenders the race never drops (the control, which the rest of the study is measured against). */
  kept: ReadonlySet<number>;
  /**
   * Contenders that can be the best the others are compared with: the feasible ones. A baseline below
   * the accuracy floor races for the "x faster than" figures, but a config that cannot win must not
   * drop those that can (default: every contender).
   */
  eligible?: ReadonlySet<number>;
  /** Each contender's race blocks (repeat = round). */
  blocks: ReadonlyMap<number, readonly BlockValue[]>;
  videos: readonly string[];
  policy: RacePolicy;
  direction: Direction;
}

/**
 * Replays the confirmation race from its blocks: after each round that every live contender
 * finished, each live contender is compared with the best eligible one (the best median so far) and
 * those significantly worse after Holm's correction are dropped. The runner and the readers of a study
 * call this same function on the same blocks, so they agree, and a resumed race goes on where it
 * stopped.
 */
export function replayConfirmRace(input: ConfirmRaceInput): ConfirmRace {
  const { contenders, blocks, videos, policy, direction } = input;
  const dropped = new Map<number, RaceDrop>();
  const outpaced = new Map<number, RaceDrop>();
  let live = [...contenders];
  const roundsOf = (id: number) => new Set((blocks.get(id) ?? []).map((b) => b.repeat));
  const lastRound = (id: number) => Math.max(0, ...roundsOf(id));
  const finished = (id: number, round: number) =>
    (blocks.get(id) ?? []).filter((b) => b.repeat === round).length >= videos.length;
  let rounds = 0;
  for (let round = 1; live.length > 0 && live.every((id) => finished(id, round)); round++) {
    rounds = round;
    if (!policy.enabled || live.length < 2) continue;
    const upTo = (id: number) => (blocks.get(id) ?? []).filter((b) => b.repeat <= round);
    const candidates = live.filter((id) => !input.eligible || input.eligible.has(id));
    if (candidates.length === 0) continue;
    const best = candidates.reduce((a, b) => {
      const ma = blockMedian(upTo(a), direction)!;
      const mb = blockMedian(upTo(b), direction)!;
      return (direction === 'minimize' ? mb < ma : mb > ma) ? b : a;
    });
    const compare = (ids: number[]) => {
      const compared = ids.map((id) => ({ id, test: pairedWorse(upTo(id), upTo(best), direction) })).filter((c) => c.test.n >= policy.minBlocks);
      const adjusted = holm(compared.map((c) => c.test.p));
      return compared.map((c, i) => ({ id: c.id, worse: adjusted[i]! < policy.alpha, drop: { round, p: adjusted[i]!, rawP: c.test.p, vs: best, blocks: c.test.n } }));
    };
    const others = live.filter((id) => id !== best);
    for (const c of compare(others.filter((id) => !input.kept.has(id)))) {
      // A contender measured after this round was kept by the run that measured it.
      if (c.worse && lastRound(c.id) <= round) dropped.set(c.id, c.drop);
    }
    // The kept are judged in a family of their own, so keeping them never changes who else is dropped.
    for (const id of input.kept) outpaced.delete(id);
    for (const c of compare(others.filter((id) => input.kept.has(id)))) if (c.worse) outpaced.set(c.id, c.drop);
    live = live.filter((id) => !dropped.has(id));
  }
  return { contenders: [...contenders], rounds, dropped, outpaced, live };
}
