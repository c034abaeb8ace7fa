// The search loop: baselines first, then sampled trials until the budget (trials and/or time) is
// spent, then a confirmation race between the best feasible trials and the baselines. Every
// challenge is stored as it finishes.
//
// Interruption (`stop` signal, Ctrl-C in the CLI): the current challenge finishes and is stored,
// then the running trial is marked PRUNED ("interrupted by the user after k/n challenges"); its
// measurements stay in the store but a PRUNED trial is never ranked feasible. A process that dies
// outright leaves its trial RUNNING; the next open of the study marks it FAIL (see open.ts).

import { stopsStudy } from '../pipeline/failure.js';
import type { ChallengeResult, Evaluator, VideoRef } from '../pipeline/types.js';
import { configKey, type Config, type Direction, type Sampler, type Space, type TrialSummary } from '../search/index.js';
import type { Phase, Storage, StudyRecord, TrialRecord } from '../store/types.js';
import { measurementOf, thrownResult } from './measurement.js';
import { directionOf, evaluateObjective, outcomeOf, type TrialFigures } from './objective.js';
import { observationOf, rankTrials, type RankedTrial } from './ranking.js';

export interface RunnerEvents {
  trialStart?(info: { trial: TrialRecord; index: number; planned: number | null }): void;
  challenge?(info: { trial: TrialRecord; video: VideoRef; repeat: number; phase: Phase; result: ChallengeResult }): void;
  trialEnd?(info: { trial: TrialRecord; figures: TrialFigures; best: { number: number; value: number } | null }): void;
  raceStart?(info: { trials: TrialRecord[]; repeats: number; challenges: number }): void;
  message?(line: string): void;
}

export interface RunStudyOptions {
  storage: Storage;
  study: StudyRecord;
  evaluator: Evaluator;
  videos: VideoRef[];
  space: Space;
  baselines: { name: string; config: Config }[];
  sampler: Sampler;
  seed: number;
  /** Sampled trials to run in this invocation (baselines not counted); null = until the time limit. */
  trials: number | null;
  timeLimitMs: number | null;
  repeats: number;
  confirmTop: number;
  confirmRepeats: number;
  /** Aborting it stops the study after the current challenge. */
  stop?: AbortSignal;
  /** Aborting it also aborts the current challenge (a second Ctrl-C). */
  abort?: AbortSignal;
  events?: RunnerEvents;
  now?: () => number;
}

export type StopReason = 'trials' | 'time-limit' | 'exhausted' | 'interrupted';

export interface StudyRunResult {
  stopReason: StopReason;
  interrupted: boolean;
  /** Trials started by this invocation (baselines included). */
  trialsRun: number;
  raced: number[];
  ranking: RankedTrial[];
  winner: RankedTrial | null;
}

const DUPLICATE_RETRIES = 10;

export async function runStudy(options: RunStudyOptions): Promise<StudyRunResult> {
  const { storage, study, evaluator, videos, events = {} } = options;
  const now = options.now ?? Date.now;
  const started = now();
  // Params of a trial never change, so each trial's key is computed once.
  const keys = new Map<number, string>();
  const key = (trial: TrialRecord) => {
    let k = keys.get(trial.id);
    if (k === undefined) keys.set(trial.id, (k = configKey(trial.params)));
    return k;
  };
  const direction = directionOf(study.objective);
  const stopped = () => options.stop?.aborted === true || options.abort?.aborted === true;
  const outOfTime = () => options.timeLimitMs !== null && now() - started >= options.timeLimitMs;
  let trialsRun = 0;
  let best = (await storage.listTrials(study.id)).reduce<Best | null>((b, t) => betterOf(b, t, direction), null);
  let stopReason: StopReason = 'trials';

  const pendingBaselines = async () => {
    const done = new Set((await storage.listTrials(study.id)).filter((t) => t.state === 'COMPLETE').map((t) => t.baseline));
    return options.baselines.filter((b) => !done.has(b.name));
  };
  const planned = options.trials === null ? null : options.trials + (await pendingBaselines()).length;

  /** Runs one trial's challenges; returns false when interrupted. */
  const runTrial = async (params: Config, baseline: string | null): Promise<boolean> => {
    const trial = await storage.createTrial(study.id, { params, baseline });
    if (!trial) {
      // Another process runs this very config in this study now; its trial will carry the figures.
      events.message?.(`${baseline ? `baseline ${baseline}` : 'a sampled config'} is being measured by another worker; skipped`);
      return true;
    }
    trialsRun++;
    events.trialStart?.({ trial, index: trialsRun, planned });
    let finished = false;
    try {
      const observations = [];
      const total = options.repeats * videos.length;
      for (let repeat = 1; repeat <= options.repeats; repeat++) {
        for (const video of videos) {
          if (stopped()) {
            await storage.setTrialState(trial.id, {
              state: 'PRUNED',
              reason: `interrupted by the user after ${observations.length}/${total} challenges`,
            });
            finished = true;
            return false;
          }
          const result = await evaluateSafely(evaluator, params, video, options.abort);
          const stored = await storage.addMeasurement(trial.id, measurementOf(result, repeat, 'search'));
          observations.push(observationOf(stored));
          events.challenge?.({ trial, video, repeat, phase: 'search', result });
        }
      }
      const figures = evaluateObjective(observations, study.objective, null);
      const done = await storage.setTrialState(trial.id, outcomeOf(figures));
      finished = true;
      best = betterOf(best, done, direction);
      events.trialEnd?.({ trial: done, figures, best });
      return true;
    } finally {
      if (!finished) {
        try {
          await storage.setTrialState(trial.id, { state: 'FAIL', reason: 'the study stopped with an error during this trial' });
        } catch {
          // the original error matters more
        }
      }
    }
  };

  loop: {
    for (const baseline of await pendingBaselines()) {
      if (stopped()) {
        stopReason = 'interrupted';
        break loop;
      }
      if (outOfTime()) {
        stopReason = 'time-limit';
        break loop;
      }
      if (!(await runTrial(baseline.config, baseline.name))) {
        stopReason = 'interrupted';
        break loop;
      }
    }
    for (let sampled = 0; options.trials === null || sampled < options.trials; sampled++) {
      if (stopped()) {
        stopReason = 'interrupted';
        break loop;
      }
      if (outOfTime()) {
        stopReason = 'time-limit';
        break loop;
      }
      const params = askNew(options, await storage.listTrials(study.id), direction, key);
      if (params === null) {
        stopReason = 'exhausted';
        events.message?.(`the search space is exhausted after ${sampled} sampled trials`);
        break loop;
      }
      if (!(await runTrial(params, null))) {
        stopReason = 'interrupted';
        break loop;
      }
    }
  }

  let raced: number[] = [];
  if (stopReason !== 'interrupted' && options.confirmRepeats > 0) {
    const race = await confirmationRace(options);
    raced = race.raced;
    if (race.interrupted) stopReason = 'interrupted';
  }
  const ranking = rankTrials(await storage.listTrials(study.id), await storage.listMeasurements({ studyId: study.id }), study.objective);
  const winner = ranking[0]?.feasible ? ranking[0] : null;
  return { stopReason, interrupted: stopReason === 'interrupted', trialsRun, raced, ranking, winner };
}

async function evaluateSafely(evaluator: Evaluator, config: Config, video: VideoRef, abort?: AbortSignal): Promise<ChallengeResult> {
  try {
    return await evaluator.evaluate(config, video, abort);
  } catch (err) {
    if (stopsStudy(err)) throw err;
    return thrownResult(config, video, err);
  }
}

/** Sampler history from the store: what each finished trial scored on its search measurements. */
export function historyOf(trials: readonly TrialRecord[]): TrialSummary[] {
  return trials
    .filter((t) => t.state !== 'RUNNING')
    .map((t): TrialSummary => ({
      number: t.number,
      params: t.params,
      state: t.state,
      value: t.value,
      feasible: t.feasible,
      violation: t.violation ?? (t.feasible ? 0 : 1),
      baseline: t.baseline,
    }));
}

function askNew(options: RunStudyOptions, trials: TrialRecord[], direction: Direction, trialKey: (t: TrialRecord) => string): Config | null {
  const history = historyOf(trials);
  const seen = new Set(trials.filter((t) => t.state === 'COMPLETE').map(trialKey));
  const trialNumber = trials.length === 0 ? 0 : trials[trials.length - 1]!.number + 1;
  let config: Config | null = null;
  // A sampler may propose a config already measured; ask again with another seed a few times.
  for (let attempt = 0; attempt < DUPLICATE_RETRIES; attempt++) {
    const seed = (options.seed + attempt * 1_000_003) >>> 0;
    config = options.sampler.ask({ space: options.space, history, seed, trialNumber, direction });
    if (config === null || !seen.has(configKey(config))) return config;
  }
  return config;
}

type Best = { number: number; value: number };

function betterOf(best: Best | null, t: TrialRecord, direction: Direction): Best | null {
  if (t.state !== 'COMPLETE' || !t.feasible || t.value === null) return best;
  if (!best || (direction === 'minimize' ? t.value < best.value : t.value > best.value)) return { number: t.number, value: t.value };
  return best;
}

/**
 * Re-measures the top feasible sampled trials (by their search figures) and every baseline together,
 * interleaved (each repeat visits every video, each video every contender, the contender order
 * rotating per repeat), with phase 'confirm'. The ranking then judges them on these measurements.
 * An evaluator that restarts a miner per config ('restart') gets each contender's videos of a repeat
 * back to back instead, so a round costs one restart per contender.
 */
async function confirmationRace(options: RunStudyOptions): Promise<{ raced: number[]; interrupted: boolean }> {
  const { storage, study, evaluator, videos, events = {} } = options;
  const trials = await storage.listTrials(study.id);
  const searchRanking = rankTrials(trials, await storage.listMeasurements({ studyId: study.id, phase: 'search' }), study.objective);
  const top = searchRanking.filter((r) => r.feasible && r.baseline === null && r.state === 'COMPLETE').slice(0, options.confirmTop);
  if (top.length === 0) return { raced: [], interrupted: false };
  const seenBaselines = new Set<string>();
  const baselines = searchRanking.filter(
    (r) => r.baseline !== null && r.state === 'COMPLETE' && !seenBaselines.has(r.baseline) && seenBaselines.add(r.baseline),
  );
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const contenders = [...top, ...baselines].map((r) => byNumber.get(r.number)!);
  events.raceStart?.({ trials: contenders, repeats: options.confirmRepeats, challenges: contenders.length * videos.length * options.confirmRepeats });
  const backToBack = evaluator.switching === 'restart';
  for (let repeat = 1; repeat <= options.confirmRepeats; repeat++) {
    const order = contenders.map((_, i) => contenders[(i + repeat - 1) % contenders.length]!);
    const round = backToBack
      ? order.flatMap((trial) => videos.map((video) => ({ trial, video })))
      : videos.flatMap((video) => order.map((trial) => ({ trial, video })));
    for (const { trial, video } of round) {
      if (options.stop?.aborted || options.abort?.aborted) return { raced: contenders.map((t) => t.number), interrupted: true };
      const result = await evaluateSafely(evaluator, trial.params, video, options.abort);
      await storage.addMeasurement(trial.id, measurementOf(result, repeat, 'confirm'));
      events.challenge?.({ trial, video, repeat, phase: 'confirm', result });
    }
  }
  return { raced: contenders.map((t) => t.number), interrupted: false };
}

