// Runs a study: asks src/study/schedule.ts what comes next and does it, storing every challenge as it
// finishes. The baselines come first (the control among them first of all), then sampled trials until
// the budget (the study's trials, and/or this run's time) is spent, with control rounds between
// trials; then the confirmation race between the best feasible trials and the baselines.
//
// Interruption (`stop` signal, Ctrl-C in the CLI): the current challenge finishes and is stored, then
// the running trial is marked PRUNED ("interrupted by the user after k/n challenges"); its measurements
// stay in the store but a PRUNED trial is never ranked feasible. A process that dies outright leaves
// its trial RUNNING; the next open of the study marks it FAIL (see open.ts). A race resumes where it
// stopped: its state is a function of its stored measurements (see race.ts).

import { stopsStudy } from '../pipeline/failure.js';
import type { ChallengeResult, Evaluator, VideoRef } from '../pipeline/types.js';
import { configKey, type Config, type Direction, type Sampler, type Space, type TrialSummary } from '../search/index.js';
import type { MeasurementRecord, Phase, Storage, StudyRecord, TrialRecord, TrialVerdict } from '../store/types.js';
import { StudyData } from './data.js';
import { driftWarning, type Drift } from './drift.js';
import { measurementOf, thrownResult } from './measurement.js';
import { evaluateObjective, outcomeOf, type TrialFigures } from './objective.js';
import { INTERRUPTED_REASON } from './open.js';
import { DEFAULT_RACE, type MeasurePolicy, type RacePolicy, type RepeatPolicy } from './policy.js';
import { analyseStudy, observationOf, type RankedTrial, type StudyAnalysis } from './ranking.js';
import { decideNext, raceOf, type RunView, type Step, type StopReason } from './schedule.js';
import { estimateTotal } from './estimate.js';
import { blocksOf, incumbentOf, standingOf, valueOf, type Standing } from './standing.js';
import { workerHost } from '../store/worker.js';
import { foreignHistory, otherHosts, type ForeignTrials, type WarmStart } from './warm-start.js';

export type { StopReason } from './schedule.js';

export interface RunnerEvents {
  trialStart?(info: { trial: TrialRecord; index: number; planned: number | null }): void;
  challenge?(info: { trial: TrialRecord; video: VideoRef; repeat: number; phase: Phase; result: ChallengeResult }): void;
  trialEnd?(info: { trial: TrialRecord; figures: TrialFigures; best: { number: number; value: number } | null; verdict: TrialVerdict }): void;
  controlRound?(info: { round: number; challenges: number }): void;
  raceStart?(info: { trials: TrialRecord[]; repeats: number; challenges: number }): void;
  /** Trials the confirmation race dropped after a round. */
  raceDrop?(info: { round: number; dropped: { trial: TrialRecord; p: number; vs: number }[] }): void;
  /** The host's speed moved beyond what the control's spread explains (once per run). */
  drift?(info: { drift: Drift; line: string }): void;
  /** Challenges done and the estimated total of the whole study (control rounds and the race included). */
  progress?(info: { done: number; total: number; stage: 'baselines' | 'search' | 'race' }): void;
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
  /** Sampled trials of the study in all (baselines not counted; a resumed study runs the rest); null = until the time limit. */
  trials: number | null;
  timeLimitMs: number | null;
  /** Challenges per video per trial, or adaptive repeats. */
  repeats: number | RepeatPolicy;
  confirmTop: number;
  confirmRepeats: number;
  /** Racing (default: off here; the command turns it on). */
  racing?: RacePolicy;
  /** The baseline measured throughout the study as the control (default: none here; the command picks one). */
  control?: string | null;
  /** Unmeasured challenges before each trial's measured ones. */
  warmup?: number;
  /** Aborting it stops the study after the current challenge. */
  stop?: AbortSignal;
  /** Aborting it also aborts the current challenge (a second Ctrl-C). */
  abort?: AbortSignal;
  events?: RunnerEvents;
  now?: () => number;
  /** Another study's trials for the sampler, and its best configs, measured first (after the baselines). */
  warmStart?: WarmStart;
}

export interface StudyRunResult {
  stopReason: StopReason;
  interrupted: boolean;
  /** Trials started by this invocation (baselines included). */
  trialsRun: number;
  /** Trial numbers of the confirmation race's contenders. */
  raced: number[];
  ranking: RankedTrial[];
  winner: RankedTrial | null;
  analysis: StudyAnalysis;
}

const DUPLICATE_RETRIES = 10;

/** The runner's policy from its options. */
export function policyOfOptions(o: Pick<RunStudyOptions, 'repeats' | 'confirmTop' | 'confirmRepeats' | 'racing' | 'control' | 'warmup'>): MeasurePolicy {
  return {
    repeats: typeof o.repeats === 'number' ? { kind: 'fixed', repeats: o.repeats } : o.repeats,
    racing: o.racing ?? { ...DEFAULT_RACE, enabled: false },
    control: o.control ?? null,
    warmup: o.warmup ?? 0,
    confirmTop: o.confirmTop,
    confirmRepeats: o.confirmRepeats,
  };
}

export async function runStudy(options: RunStudyOptions): Promise<StudyRunResult> {
  const { storage, study, evaluator, events = {} } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const policy = policyOfOptions(options);
  const videoUrls = options.videos.map((v) => v.url);
  const videoByUrl = new Map(options.videos.map((v) => [v.url, v]));
  // The host is a factor: this host's trials make the study's standing, incumbent, race and budget;
  // other hosts' finished trials only inform the sampler (see warm-start.ts).
  const here = workerHost();
  const allTrials = await storage.listTrials(study.id);
  const ownTrials = allTrials.filter((t) => t.workerHost === here);
  const ownIds = new Set(ownTrials.map((t) => t.id));
  const data = new StudyData(ownTrials, (await storage.listMeasurements({ studyId: study.id })).filter((m) => ownIds.has(m.trialId)));
  const foreign = [...(options.warmStart ? [options.warmStart.history] : []), ...otherHosts(allTrials, here)];
  const restandings = () => standingOf(data, study.objective, policy.control, videoUrls.length);
  let standing = restandings();
  let warnedDrift = standing.drift.detected;
  let trialsRun = 0;
  let exhausted = false;
  let live: RunView['live'] = null;
  let sinceControl = challengesSinceControl(data, standing);
  const stopped = () => options.stop?.aborted === true || options.abort?.aborted === true;
  /** Configs another worker was measuring when this one proposed them: not proposed again. */
  const busy = new Set<string>();
  const keys = new Map<number, string>();
  const key = (t: TrialRecord) => keys.get(t.id) ?? (keys.set(t.id, configKey(t.params)), keys.get(t.id)!);

  // The control's baseline runs first, so every trial after it has a control measured near it.
  const ordered = [...options.baselines].sort((a, b) => Number(b.name === policy.control) - Number(a.name === policy.control));
  // A baseline missing a COMPLETE trial runs once per run (one that fails is not retried in a loop).
  const tried = new Set<string>();
  const pendingBaselines = () => {
    const done = new Set(data.trials().filter((t) => t.state === 'COMPLETE').map((t) => t.baseline));
    return ordered.filter((b) => !done.has(b.name) && !tried.has(b.name));
  };
  const sampledSoFar = () => data.trials().filter(countsTowardBudget).length;
  const planned = options.trials === null ? null : Math.max(0, options.trials - sampledSoFar()) + pendingBaselines().length;
  let stage: 'baselines' | 'search' | 'race' = 'baselines';
  let searchChallengesThisRun = 0;
  const progress = () => {
    if (!events.progress) return;
    const timeShare = options.timeLimitMs !== null ? (now() - started) / options.timeLimitMs : null;
    const total = estimateTotal(view(), { budget: options.trials, sampledSoFar: sampledSoFar(), timeShare, searchChallengesThisRun });
    events.progress({ done: data.measurements().length, total, stage });
  };
  const view = (): RunView => ({
    data,
    standing,
    videos: videoUrls,
    policy,
    live,
    pendingBaselines: pendingBaselines(),
    budgetLeft: options.trials === null ? null : options.trials - sampledSoFar(),
    outOfTime: options.timeLimitMs !== null && now() - started >= options.timeLimitMs,
    stopped: stopped(),
    exhausted,
    sinceControl,
    switching: evaluator.switching ?? 'free',
    seed: options.seed,
  });
  const checkDrift = () => {
    standing = restandings();
    if (standing.drift.detected && !warnedDrift) {
      warnedDrift = true;
      const line = driftWarning(standing.drift, policy.control);
      events.drift?.({ drift: standing.drift, line });
    }
  };
  const measure = async (trial: TrialRecord, videoUrl: string, repeat: number, phase: Phase): Promise<MeasurementRecord> => {
    const video = videoByUrl.get(videoUrl)!;
    const result = await evaluateSafely(evaluator, trial.params, video, options.abort);
    const stored = await storage.addMeasurement(trial.id, measurementOf(result, repeat, phase));
    data.add(stored);
    if (phase === 'search') searchChallengesThisRun++;
    if (standing.controlTrial && trial.id === standing.controlTrial.id) sinceControl = 0;
    else sinceControl++;
    events.challenge?.({ trial, video, repeat, phase, result });
    progress();
    return stored;
  };

  let raceAnnounced = false;
  let raceDropsSeen = new Set<number>();
  let reason: StopReason = 'trials';
  progress();
  for (;;) {
    const step: Step = decideNext(view());
    if (step.kind === 'stop') {
      reason = step.reason;
      break;
    }
    if (step.kind === 'start-trial') {
      let params: Config | null = step.baseline?.config ?? null;
      if (!step.baseline) {
        stage = 'search';
        params = askNew(options, data, standing, key, busy, foreign);
        if (params === null) {
          exhausted = true;
          events.message?.(`the search space is exhausted after ${sampledSoFar()} sampled trials`);
          continue;
        }
      }
      if (step.baseline) tried.add(step.baseline.name);
      const trial = await storage.createTrial(study.id, { params: params!, baseline: step.baseline?.name ?? null });
      if (!trial) {
        // Another process measures this very config in this study now; its trial will carry the figures.
        busy.add(configKey(params!));
        events.message?.(`${step.baseline ? `baseline ${step.baseline.name}` : 'a sampled config'} is being measured by another worker; skipped`);
        continue;
      }
      data.put(trial);
      trialsRun++;
      live = { trial, incumbent: incumbentOf(data, standing) };
      events.trialStart?.({ trial, index: trialsRun, planned });
      for (let i = 0; i < policy.warmup && !stopped(); i++) await evaluateSafely(evaluator, trial.params, options.videos[0]!, options.abort);
      continue;
    }
    if (step.kind === 'measure') {
      if (step.phase === 'confirm' && !raceAnnounced) {
        raceAnnounced = true;
        stage = 'race';
        const state = raceOf(view())!;
        raceDropsSeen = new Set(state.race.dropped.keys());
        events.raceStart?.({
          trials: state.contenders,
          repeats: policy.confirmRepeats,
          challenges: state.race.live.length * videoUrls.length * (policy.confirmRepeats - state.race.rounds),
        });
      }
      try {
        await measure(step.trial, step.videoUrl, step.repeat, step.phase);
      } catch (err) {
        if (live) await failLive(storage, live.trial);
        throw err;
      }
      if (step.phase === 'confirm') {
        checkDrift();
        const state = raceOf(view());
        const fresh = [...(state?.race.dropped ?? new Map())].filter(([id]) => !raceDropsSeen.has(id));
        if (fresh.length > 0) {
          for (const [id] of fresh) raceDropsSeen.add(id);
          events.raceDrop?.({
            round: fresh[0]![1].round,
            dropped: fresh.map(([id, d]) => ({ trial: data.trial(id)!, p: d.p, vs: data.trial(d.vs)!.number })),
          });
        }
      }
      continue;
    }
    if (step.kind === 'control-round') {
      for (const url of videoUrls) {
        if (stopped()) break;
        await measure(step.trial, url, step.round, 'control');
      }
      events.controlRound?.({ round: step.round, challenges: videoUrls.length });
      checkDrift();
      continue;
    }
    // finish
    const figures = evaluateObjective(data.of(step.trial.id, 'search').map(observationOf), study.objective, null);
    const outcome = outcomeOf(figures);
    const interrupted = step.verdict.kind === 'interrupted';
    const done = await storage.setTrialState(step.trial.id, {
      ...outcome,
      // Every challenge failed: FAIL, whatever stopped it; else the judgement's state (a drop is PRUNED).
      state: outcome.state === 'FAIL' && figures.challenges > 0 ? 'FAIL' : step.state,
      reason: outcome.state === 'FAIL' && figures.challenges > 0 ? outcome.reason : (step.reason ?? figures.why),
      // A dropped trial keeps what its figures say (the sampler reads it); the ranking never counts it feasible.
      feasible: !interrupted && figures.feasible,
      verdict: step.verdict,
    });
    data.put(done);
    live = null;
    if (done.baseline === policy.control) standing = restandings();
    if (step.verdict.kind !== 'interrupted') {
      const best = incumbentOf(data, standing);
      events.trialEnd?.({
        trial: done,
        figures,
        verdict: step.verdict,
        best: best ? { number: best.trial.number, value: best.trial.value ?? best.value } : null,
      });
    }
  }

  const analysis = analyseStudy({
    trials: data.trials(),
    measurements: data.measurements(),
    objective: study.objective,
    policy,
    videos: videoUrls,
  });
  if (analysis.drift.detected && !warnedDrift) events.drift?.({ drift: analysis.drift, line: driftWarning(analysis.drift, policy.control) });
  const raced = analysis.race.contenders;
  return { stopReason: reason, interrupted: reason === 'interrupted', trialsRun, raced, ranking: analysis.ranking, winner: analysis.winner, analysis };
}

async function failLive(storage: Storage, trial: TrialRecord): Promise<void> {
  try {
    await storage.setTrialState(trial.id, { state: 'FAIL', reason: 'the study stopped with an error during this trial' });
  } catch {
    // the original error matters more
  }
}

async function evaluateSafely(evaluator: Evaluator, config: Config, video: VideoRef, abort?: AbortSignal): Promise<ChallengeResult> {
  try {
    return await evaluator.evaluate(config, video, abort);
  } catch (err) {
    if (stopsStudy(err)) throw err;
    return thrownResult(config, video, err);
  }
}

/** Whether a finished sampled trial used up one of the study's trials (an interrupted one did not). */
export function countsTowardBudget(t: TrialRecord): boolean {
  if (t.baseline !== null || t.state === 'RUNNING') return false;
  if (t.verdict?.kind === 'interrupted') return false;
  if (t.state === 'FAIL' && t.reason === INTERRUPTED_REASON) return false;
  if (t.state === 'PRUNED' && t.verdict === null) return false; // interrupted before verdicts were kept
  return true;
}

function challengesSinceControl(data: StudyData, standing: Standing): number {
  const control = standing.controlTrial;
  if (!control) return 0;
  const all = data.measurements();
  let count = 0;
  for (let i = all.length - 1; i >= 0 && all[i]!.trialId !== control.id; i--) count++;
  return count;
}

/**
 * Sampler history from the study: what each finished trial scored on its search measurements. A
 * trial the race dropped is shown as measured (samplers ignore PRUNED trials, and its figures say
 * where not to look); once the host drifted, values are normalised by the control.
 */
export function historyOf(trials: readonly TrialRecord[], data?: StudyData, standing?: Standing): TrialSummary[] {
  return trials
    .filter((t) => t.state !== 'RUNNING')
    .map((t): TrialSummary => {
      const dropped = t.state === 'PRUNED' && t.verdict?.kind === 'race';
      const value = standing?.normaliser && data && t.value !== null ? valueOf(blocksOf(data.of(t.id, 'search'), standing)) : t.value;
      return {
        number: t.number,
        params: t.params,
        state: dropped ? 'COMPLETE' : t.state,
        value,
        feasible: t.feasible,
        violation: t.violation ?? (t.feasible ? 0 : 1),
        baseline: t.baseline,
      };
    });
}

function askNew(
  options: RunStudyOptions,
  data: StudyData,
  standing: Standing,
  trialKey: (t: TrialRecord) => string,
  busy: ReadonlySet<string>,
  foreign: readonly ForeignTrials[] = [],
): Config | null {
  const trials = data.trials();
  // A warm start re-measures the source's best configs here first, each once.
  const measuredHere = new Set([...busy, ...trials.map(trialKey)]);
  const warm = options.warmStart?.top.find((c) => !measuredHere.has(configKey(c.params)));
  if (warm) {
    options.events?.message?.(`warm start: re-measuring trial ${warm.number} of study ${options.warmStart!.study} on this host`);
    return warm.params;
  }
  const own = historyOf(trials, data, standing);
  const history = foreign.length > 0 ? [...own, ...foreignHistory(own, foreign, standing.direction)] : own;
  const seen = new Set([...busy, ...trials.filter((t) => t.state === 'COMPLETE' || (t.state === 'PRUNED' && t.verdict?.kind === 'race')).map(trialKey)]);
  const trialNumber = trials.length === 0 ? 0 : trials[trials.length - 1]!.number + 1;
  const direction: Direction = standing.direction;
  let config: Config | null = null;
  // A sampler may propose a config already measured; ask again with another seed a few times.
  for (let attempt = 0; attempt < DUPLICATE_RETRIES; attempt++) {
    const seed = (options.seed + attempt * 1_000_003) >>> 0;
    config = options.sampler.ask({ space: options.space, history, seed, trialNumber, direction });
    if (config === null || !seen.has(configKey(config))) return config;
  }
  return config;
}
