// The one place that decides what a study does next: the next block of the running trial or why it
// stops, a control round, the next trial (baselines first), the control round that closes the search,
// the next block of the confirmation race, or the end. A pure function of what the study holds and the
// run's state; the runner executes the steps it returns, so control rounds, adaptive repeats and
// racing share one loop.

import type { Config } from '../search/index.js';
import type { TrialRecord, TrialVerdict } from '../store/types.js';
import type { StudyData } from './data.js';
import { judgeTrial } from './judge.js';
import { AUTO_MIN_REPEATS, type MeasurePolicy } from './policy.js';
import type { ConfirmRace } from './race.js';
import { rawBlock, replayRaceOf } from './ranking.js';
import { raceContenders, type Incumbent, type Standing } from './standing.js';

/**
 * A control round comes after this many rounds' worth of other challenges while the host is steady
 * (the control costs at most a sixth of the study), and more often once it drifted (at most a third),
 * so trials are set against a control measured closer to them when it matters.
 */
export const CONTROL_EVERY_ROUNDS = 5;
export const CONTROL_EVERY_ROUNDS_DRIFTING = 2;

export function controlInterval(standing: Standing, videos: number): number {
  return (standing.drift.detected ? CONTROL_EVERY_ROUNDS_DRIFTING : CONTROL_EVERY_ROUNDS) * videos;
}

export type StopReason = 'trials' | 'worker-trials' | 'time-limit' | 'exhausted' | 'interrupted';

export interface RunView {
  data: StudyData;
  standing: Standing;
  videos: readonly string[];
  policy: MeasurePolicy;
  /** The search trial being measured, with the incumbent it is judged against. */
  live: { trial: TrialRecord; incumbent: Incumbent | null } | null;
  pendingBaselines: readonly { name: string; config: Config }[];
  /** Sampled trials the study's budget still allows (other workers' running ones counted as spent); null without a trial budget. */
  budgetLeft: number | null;
  /** This worker ran its own share of sampled trials (--worker-trials). */
  workerDone: boolean;
  /** Other workers have trials RUNNING in the study: its search is not over. */
  othersRunning: boolean;
  /** Another worker claimed the confirmation race. */
  raceElsewhere: boolean;
  /** The highest control round claimed by any worker (measured or not yet). */
  controlRoundsClaimed: number;
  outOfTime: boolean;
  stopped: boolean;
  /** The sampler has nothing new to propose. */
  exhausted: boolean;
  /** Challenges of other configs since the control was last measured. */
  sinceControl: number;
  /** 'restart': switching config restarts a miner, so a config's challenges are kept back to back. */
  switching: 'free' | 'restart';
  seed: number;
}

export type Step =
  | { kind: 'measure'; trial: TrialRecord; videoUrl: string; repeat: number; phase: 'search' | 'confirm' }
  | { kind: 'finish'; trial: TrialRecord; state: 'COMPLETE' | 'PRUNED'; verdict: TrialVerdict; reason: string | null }
  | { kind: 'control-round'; trial: TrialRecord; round: number }
  | { kind: 'start-trial'; baseline: { name: string; config: Config } | null }
  /** The budget is spoken for by other workers' running trials: look again shortly (one that dies frees its share). */
  | { kind: 'wait' }
  | { kind: 'stop'; reason: StopReason };

export function decideNext(view: RunView): Step {
  const { data, standing, videos, policy, live } = view;
  if (live) {
    const blocks = data.of(live.trial.id, 'search');
    const judgement = judgeTrial({
      blocks: blocks.map((m) => blockFor(m, standing)),
      videos,
      policy,
      objective: standing.objective,
      direction: standing.direction,
      baseline: live.trial.baseline !== null,
      control: live.trial.baseline !== null && live.trial.baseline === policy.control,
      incumbent: live.incumbent && live.incumbent.trial.id !== live.trial.id ? { number: live.incumbent.trial.number, blocks: live.incumbent.blocks } : null,
      normalised: standing.normaliser !== null,
      seed: view.seed + live.trial.number,
    });
    // A trial whose last challenge finished as the user stopped the study is complete, not interrupted.
    if (judgement.kind === 'stop') return { kind: 'finish', trial: live.trial, state: judgement.state, verdict: judgement.verdict, reason: judgement.reason };
    if (view.stopped) {
      return {
        kind: 'finish',
        trial: live.trial,
        state: 'PRUNED',
        verdict: { kind: 'interrupted', challenges: blocks.length, planned: plannedOf(policy, videos.length), repeats: Math.ceil(blocks.length / videos.length) },
        reason: `interrupted by the user after ${blocks.length}/${plannedOf(policy, videos.length)} challenges`,
      };
    }
    return { kind: 'measure', trial: live.trial, videoUrl: judgement.videoUrl, repeat: judgement.repeat, phase: 'search' };
  }
  if (view.stopped) return { kind: 'stop', reason: 'interrupted' };

  const ownLimit = view.outOfTime || view.exhausted || view.workerDone;
  const searching = !ownLimit && (view.pendingBaselines.length > 0 || view.budgetLeft === null || view.budgetLeft > 0);
  if (searching) {
    if (standing.controlTrial && view.sinceControl >= controlInterval(standing, videos.length)) {
      const round = Math.max(controlRounds(data, standing.controlTrial), view.controlRoundsClaimed) + 1;
      return { kind: 'control-round', trial: standing.controlTrial, round };
    }
    return { kind: 'start-trial', baseline: view.pendingBaselines[0] ?? null };
  }
  const ended: StopReason = view.outOfTime ? 'time-limit' : view.exhausted ? 'exhausted' : view.workerDone ? 'worker-trials' : 'trials';
  // Other workers still search: wait for the study's budget, or leave the race to the last of them.
  if (view.othersRunning) return ownLimit ? { kind: 'stop', reason: ended } : { kind: 'wait' };
  // This worker ran its share before the study's budget was reached: the worker that completes it races.
  if (view.workerDone && view.budgetLeft !== null && view.budgetLeft > 0) return { kind: 'stop', reason: ended };
  if (view.raceElsewhere) return { kind: 'stop', reason: ended };
  // The search's last trials may have run since the last control round: one more closes the search,
  // so a change of speed under its end is seen (and taken out) before the race's contenders are chosen.
  if (standing.controlTrial && view.sinceControl > 0 && !data.raceStarted() && raceOf(view)) {
    const round = Math.max(controlRounds(data, standing.controlTrial), view.controlRoundsClaimed) + 1;
    return { kind: 'control-round', trial: standing.controlTrial, round };
  }
  const next = nextRaceBlock(view);
  return next ?? { kind: 'stop', reason: ended };
}

/** The most challenges a search trial may get. */
export function plannedOf(policy: MeasurePolicy, videos: number): number {
  return (policy.repeats.kind === 'fixed' ? policy.repeats.repeats : policy.repeats.maxRepeats) * videos;
}

function blockFor(m: Parameters<typeof rawBlock>[0], standing: Standing) {
  const raw = rawBlock(m, standing.objective);
  const value = m.error !== null ? null : standing.normaliser ? standing.normaliser.value(m) : raw.value;
  return { ...raw, value, failed: m.error !== null, accuracy: m.accuracy };
}

function controlRounds(data: StudyData, control: TrialRecord): number {
  return Math.max(0, ...data.of(control.id, 'control').map((m) => m.repeat));
}

/** The confirmation race as it stands, with its contenders (null when it has none). */
export function raceOf(view: Pick<RunView, 'data' | 'standing' | 'videos' | 'policy'>): { contenders: TrialRecord[]; race: ConfirmRace } | null {
  const { data, standing, videos, policy } = view;
  if (policy.confirmRepeats === 0) return null;
  const contenders = raceContenders(data, standing.objective, policy.control, videos.length, policy.confirmTop, policy.racing.enabled);
  if (contenders.length === 0) return null;
  return { contenders, race: replayRaceOf(contenders.map((t) => t.id), data, standing, policy, videos) };
}

/** Whether the race has nothing left to measure. */
export function raceDone(race: ConfirmRace, policy: MeasurePolicy, kept: ReadonlySet<number>): boolean {
  if (race.rounds >= policy.confirmRepeats) return true;
  // Racing: once a single contender is left (besides the control), more rounds decide nothing.
  return policy.racing.enabled && race.rounds >= AUTO_MIN_REPEATS && race.live.filter((id) => !kept.has(id)).length <= 1;
}

function nextRaceBlock(view: RunView): Step | null {
  const state = raceOf(view);
  if (!state) return null;
  const { contenders, race } = state;
  const kept = new Set(view.standing.controlTrial ? [view.standing.controlTrial.id] : []);
  if (raceDone(race, view.policy, kept)) return null;
  const round = race.rounds + 1;
  const live = contenders.filter((t) => race.live.includes(t.id));
  // The contender order rotates from round to round.
  const order = live.map((_, i) => live[(i + round - 1) % live.length]!);
  const pairs =
    view.switching === 'restart'
      ? order.flatMap((trial) => view.videos.map((videoUrl) => ({ trial, videoUrl })))
      : view.videos.flatMap((videoUrl) => order.map((trial) => ({ trial, videoUrl })));
  const measured = (trial: TrialRecord, videoUrl: string) =>
    view.data.race(trial.id).some((m) => m.repeat === round && m.videoUrl === videoUrl);
  const next = pairs.find((p) => !measured(p.trial, p.videoUrl));
  return next ? { kind: 'measure', trial: next.trial, videoUrl: next.videoUrl, repeat: round, phase: 'confirm' } : null;
}
