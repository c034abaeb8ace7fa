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
//
// Many workers (processes, hosts) may run one study at once. Between trials a worker fails the trials
// whose worker went silent (no heartbeat for the heartbeat timeout) and brings its copy of the study
// up to date (sync.ts): the sampler then sees every worker's finished trials and their running ones as
// pending. While a trial runs, a timer sends its heartbeat; a worker whose trial another one failed
// drops it and goes on. The study's --trials budget counts every worker's trials; a worker whose share
// is spoken for by others' running trials waits for them. Control rounds and the confirmation race are
// claimed (Storage.claim), so no two workers measure the same one; the race is run by the worker that
// claims it once no trial of the study runs any more.

import { stopsStudy } from '../pipeline/failure.js';
import type { ChallengeResult, Evaluator, VideoRef } from '../pipeline/types.js';
import { configKey, type Config, type Direction, type Sampler, type Space, type TrialSummary } from '../search/index.js';
import type { Claim, MeasurementRecord, Phase, Storage, StudyRecord, TrialRecord, TrialVerdict } from '../store/types.js';
import { isAutotuneError } from '../errors.js';
import { isStaleReason } from '../store/errors.js';
import { workerHost } from '../store/worker.js';
import { onHost, StudyData } from './data.js';
import { newCursor, syncStudyData } from './sync.js';
import { driftWarning, type Drift } from './drift.js';
import { measurementOf, thrownResult } from './measurement.js';
import { evaluateObjective, outcomeOf, type TrialFigures } from './objective.js';
import { INTERRUPTED_REASON } from './open.js';
import { DEFAULT_RACE, type MeasurePolicy, type RacePolicy, type RepeatPolicy } from './policy.js';
import { analyseStudy, observationOf, type RankedTrial, type StudyAnalysis } from './ranking.js';
import { decideNext, plannedOf, raceOf, type RunView, type Step, type StopReason } from './schedule.js';
import { estimateTotal } from './estimate.js';
import { blocksOf, incumbentOf, standingOf, unracedBaselines, valueOf, type Standing } from './standing.js';
import { foreignHistory, otherHosts, type ForeignTrials, type WarmStart } from './warm-start.js';

export type { StopReason } from './schedule.js';

export interface RunnerEvents {
  trialStart?(info: { trial: TrialRecord; index: number; planned: number | null }): void;
  challenge?(info: { trial: TrialRecord; video: VideoRef; repeat: number; phase: Phase; result: ChallengeResult }): void;
  trialEnd?(info: { trial: TrialRecord; figures: TrialFigures; best: { number: number; value: number } | null; verdict: TrialVerdict }): void;
  controlRound?(info: { round: number; challenges: number }): void;
  raceStart?(info: { trials: TrialRecord[]; repeats: number; challenges: number; unraced: { trial: TrialRecord; why: string }[] }): void;
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
  /** Sampled trials of the study in all, by every worker (baselines not counted; a resumed study runs the rest); null = until the time limit. */
  trials: number | null;
  /** Sampled trials this worker runs at most (null: no limit of its own). */
  workerTrials?: number | null;
  /** A RUNNING trial without a heartbeat for this long is failed by whichever worker notices (default 60 s). */
  heartbeatTimeoutS?: number;
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
  /**
   * False when the evaluator's figures do not depend on this host's load (a replay): workers of one
   * host then do not skew each other's figures (default true).
   */
  timed?: boolean;
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
  /** The trial the user's stop cut short (kept PRUNED, not counted), or null (none was running, or the race was). */
  interruptedTrial: number | null;
  /**
   * Who finishes the study when this worker stopped before it ended: the worker that claimed the
   * confirmation race, or 'other-workers' (their trials still run, or the study's --trials are not all
   * taken). This worker's ranking is then not the study's final one. Null when this worker finished it.
   */
  leftTo: { host: string; pid: number } | 'other-workers' | null;
  /** Trials started by this invocation (baselines included). */
  trialsRun: number;
  /** Trial numbers of the confirmation race's contenders. */
  raced: number[];
  ranking: RankedTrial[];
  winner: RankedTrial | null;
  analysis: StudyAnalysis;
}

const DUPLICATE_RETRIES = 10;
export const DEFAULT_HEARTBEAT_TIMEOUT_S = 60;
/** The longest a waiting worker sleeps before it looks at the study again. */
const MAX_WAIT_MS = 1000;
/**
 * Workers of one study take slots (worker:0, worker:1, ... claims): slot k draws its samples from the
 * seed plus k times this, so workers asking at once do not all propose the same config, and worker 0
 * (a study with one worker) asks exactly what the seed alone gives.
 */
const SLOT_SEED_STRIDE = 7_919_011;
const MAX_SLOTS = 1024;

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
  const own = onHost(allTrials, await storage.listMeasurements({ studyId: study.id }), here);
  const data = new StudyData(own.trials, own.measurements);
  const paramsOf = new Map(own.trials.map((t) => [t.id, t.params]));
  evaluator.resume?.(own.measurements.flatMap((m) => (paramsOf.has(m.trialId) ? [{ config: paramsOf.get(m.trialId)!, videoUrl: m.videoUrl }] : [])));
  const foreign = [...(options.warmStart ? [options.warmStart.history] : []), ...otherHosts(allTrials, here)];
  // Workers of this host share the study's standing; other hosts' trials are skipped by the sync.
  const cursor = newCursor(data, allTrials.filter((t) => t.workerHost !== here).map((t) => t.id), (t) => t.workerHost === here);
  const timeoutS = options.heartbeatTimeoutS ?? DEFAULT_HEARTBEAT_TIMEOUT_S;
  const beatMs = Math.max(10, (timeoutS * 1000) / 4);
  const restandings = () => standingOf(data, study.objective, policy.control, videoUrls.length);
  let standing = restandings();
  let warnedDrift = standing.drift.detected;
  let trialsRun = 0;
  let sampledRun = 0;
  /** A trial of this worker that another worker failed (its heartbeat answered false). */
  let lostTrialId: number | null = null;
  let raceClaim: string | null = null;
  let raceElsewhere = false;
  let raceRunBy: { host: string; pid: number } | null = null;
  let controlRoundsClaimed = 0;
  let exhausted = false;
  let live: RunView['live'] = null;
  let sinceControl = challengesSinceControl(data, standing);
  let controlClaimedAfter = 0;
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
  const controlConfig = options.baselines.find((b) => b.name === policy.control)?.config;
  if (controlConfig) await keepReady(evaluator, [controlConfig]);
  const sampledSoFar = () => data.trials().filter(countsTowardBudget).length;
  const planned = options.trials === null ? null : Math.max(0, options.trials - sampledSoFar()) + pendingBaselines().length;
  let stage: 'baselines' | 'search' | 'race' = 'baselines';
  let interruptedTrial: number | null = null;
  let searchChallengesThisRun = 0;
  const progress = () => {
    if (!events.progress) return;
    const timeShare = options.timeLimitMs !== null ? (now() - started) / options.timeLimitMs : null;
    const total = estimateTotal(view(), { budget: options.trials, sampledSoFar: sampledSoFar(), timeShare, searchChallengesThisRun });
    events.progress({ done: data.measurements().length, total, stage });
  };
  /** Trials being measured by other workers (any RUNNING trial but this worker's live one). */
  const othersRunning = () => data.trials().filter((t) => t.state === 'RUNNING' && t.id !== live?.trial.id);
  const view = (): RunView => ({
    data,
    standing,
    videos: videoUrls,
    policy,
    live,
    pendingBaselines: pendingBaselines(),
    budgetLeft: options.trials === null ? null : options.trials - sampledSoFar() - othersRunning().filter((t) => t.baseline === null).length,
    workerDone: options.workerTrials != null && sampledRun >= options.workerTrials,
    othersRunning: othersRunning().length > 0,
    raceElsewhere,
    controlRoundsClaimed,
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
  const measure = async (trial: TrialRecord, videoUrl: string, repeat: number, phase: Phase): Promise<MeasurementRecord | null> => {
    const video = videoByUrl.get(videoUrl)!;
    const result = await evaluateSafely(evaluator, trial.params, video, options.abort);
    // A challenge cut short by the user (a second Ctrl-C) says nothing about its config: not stored,
    // so the trial ends as interrupted (not failed) and a resumed race draws that block again.
    if (result.error && options.abort?.aborted) return null;
    const stored = await storage.addMeasurement(trial.id, measurementOf(result, repeat, phase));
    data.add(stored);
    if (phase === 'search') searchChallengesThisRun++;
    if (standing.controlTrial && trial.id === standing.controlTrial.id) sinceControl = 0;
    else sinceControl++;
    events.challenge?.({ trial, video, repeat, phase, result });
    progress();
    return stored;
  };

  /** Between trials: fail other workers' silent trials, then take in what every worker stored. */
  let lastSweep = Number.NEGATIVE_INFINITY;
  const catchUp = async () => {
    // At most once per beat interval: a silent trial is failed within a quarter timeout of going stale.
    if (Date.now() - lastSweep >= beatMs) {
      lastSweep = Date.now();
      const failed = await storage.failStaleTrials(study.id, timeoutS);
      if (failed.length > 0) events.message?.(`trial(s) ${failed.join(', ')} marked FAIL: no heartbeat from their worker for more than ${timeoutS} s`);
    }
    if ((await syncStudyData(storage, study.id, data, cursor)).changed) standing = restandings();
    // The count is the host's, whichever of its workers measured the control or the others.
    sinceControl = challengesSinceControl(data, standing, controlClaimedAfter);
  };
  /**
   * Why a trial just created must give way, or null. Between this worker's look at the study and its
   * claim, another worker may have measured the same config to the end (the claim only keeps a config
   * from running twice at once), or taken the last of the study's sampled trials. Numbers decide (they
   * follow creation), so of workers that created trials at once exactly the later ones give way.
   */
  const redundant = async (trial: TrialRecord, baseline: boolean): Promise<string | null> => {
    const finishedBefore = new Set(data.trials().filter((t) => t.state !== 'RUNNING').map((t) => t.id));
    await syncStudyData(storage, study.id, data, cursor, true);
    const earlier = data.trials().filter((t) => t.number < trial.number);
    // Only what finished since this worker decided (a config it chose to measure again is its choice).
    const same = earlier.find((t) => t.state === 'COMPLETE' && !finishedBefore.has(t.id) && key(t) === key(trial));
    if (same) return `trial ${same.number} measured this config a moment ago (another worker)`;
    if (baseline || options.trials === null) return null;
    const taken = earlier.filter((t) => t.baseline === null && (t.state === 'RUNNING' || countsTowardBudget(t))).length;
    return taken >= options.trials ? `other workers took the study's ${options.trials} sampled trials` : null;
  };
  /** This worker's trial was failed by another one: drop it and go on with the next. */
  const dropLost = async (trial: TrialRecord) => {
    const stored = await storage.getTrial(study.id, trial.number);
    if (stored) data.put(stored);
    live = null;
    lostTrialId = null;
    events.message?.(`trial ${trial.number} was marked FAIL by another worker (no heartbeat for more than ${timeoutS} s); going on with the next trial`);
  };
  const isLost = async (trial: TrialRecord, err: unknown) =>
    isAutotuneError(err, 'E_STORE') && (await storage.getTrial(study.id, trial.number))?.state !== 'RUNNING';
  const slot = await claimSlot(storage, study.id, timeoutS);
  if (slot.index > 0) events.message?.(`another worker runs this study too: this one is worker ${slot.index}, its sampler draws from seed ${options.seed} + ${slot.index} x ${SLOT_SEED_STRIDE}`);
  if (slot.sameHost.length > 0 && options.timed !== false) events.message?.(sharedHostWarning(slot.sameHost));
  const samplerSeed = (options.seed + slot.index * SLOT_SEED_STRIDE) >>> 0;
  const beat = async () => {
    const running = live?.trial;
    if (running && !(await storage.heartbeat(running.id))) lostTrialId = running.id;
    await storage.claim(study.id, slot.name, timeoutS);
    if (raceClaim) await storage.claim(study.id, raceClaim, timeoutS);
  };
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return;
    beating = true;
    beat()
      .catch(() => {}) // the store retries a dropped connection; a beat that still fails is late, not fatal
      .finally(() => (beating = false));
  }, beatMs);
  timer.unref();

  let raceAnnounced = false;
  let raceDropsSeen = new Set<number>();
  let reason: StopReason = 'trials';
  progress();
  try {
    for (;;) {
      if (live && lostTrialId === live.trial.id) {
        await dropLost(live.trial);
        continue;
      }
      if (!live) await catchUp();
      const current = view();
      const step: Step = decideNext(current);
      if (step.kind === 'stop') {
        reason = step.reason;
        if (current.othersRunning && reason !== 'interrupted') {
          events.message?.('other workers are still measuring trials of this study: the confirmation race is left to the last of them');
        } else if (reason === 'worker-trials' && current.budgetLeft !== null && current.budgetLeft > 0) {
          events.message?.(
            `this worker ran its ${options.workerTrials} trial(s); the study has ${current.budgetLeft} more to go: the confirmation race is left to the worker that completes them`,
          );
        }
        break;
      }
      if (step.kind === 'wait') {
        await sleepUnless(Math.min(MAX_WAIT_MS, beatMs), options.stop);
        continue;
      }
      if (step.kind === 'start-trial') {
        let params: Config | null = step.baseline?.config ?? null;
        if (!step.baseline) {
          stage = 'search';
          params = askNew({ ...options, seed: samplerSeed }, data, standing, key, busy, foreign);
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
        const giveWay = await redundant(trial, step.baseline !== null);
        if (giveWay) {
          data.put(
            await storage.setTrialState(trial.id, {
              state: 'PRUNED',
              reason: `not measured: ${giveWay}`,
              verdict: { kind: 'interrupted', challenges: 0, planned: plannedOf(policy, videoUrls.length), repeats: 0 },
            }),
          );
          continue;
        }
        if (!step.baseline) sampledRun++;
        trialsRun++;
        live = { trial, incumbent: incumbentOf(data, standing) };
        events.trialStart?.({ trial, index: trialsRun, planned });
        for (let i = 0; i < policy.warmup && !stopped(); i++) await evaluateSafely(evaluator, trial.params, options.videos[0]!, options.abort);
        continue;
      }
      if (step.kind === 'measure') {
        if (step.phase === 'confirm' && !raceAnnounced) {
          // One worker runs the race: the one that claims it (the claim names the race by where it starts).
          const name = `race:${here}:${data.lastSearchId}`;
          const claim = await storage.claim(study.id, name, timeoutS);
          if (!claim.won) {
            raceElsewhere = true;
            raceRunBy = { host: claim.workerHost, pid: claim.workerPid };
            events.message?.(`the confirmation race is run by another worker (${claim.workerHost} pid ${claim.workerPid})`);
            continue;
          }
          raceClaim = name;
          raceAnnounced = true;
          stage = 'race';
          const state = raceOf(view())!;
          raceDropsSeen = new Set(state.race.dropped.keys());
          // The race takes turns between its contenders at every challenge: none pays for reopening what it needs.
          await keepReady(evaluator, state.contenders.map((t) => t.params));
          events.raceStart?.({
            trials: state.contenders,
            repeats: policy.confirmRepeats,
            challenges: state.race.live.length * videoUrls.length * (policy.confirmRepeats - state.race.rounds),
            unraced: policy.racing.enabled ? unracedBaselines(data, study.objective, policy.control) : [],
          });
        }
        try {
          await measure(step.trial, step.videoUrl, step.repeat, step.phase);
        } catch (err) {
          if (live && (await isLost(live.trial, err))) {
            await dropLost(live.trial);
            continue;
          }
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
        const claim = await storage.claim(study.id, `control:${here}:${step.round}`, timeoutS);
        if (!claim.won) {
          // Another worker of this host measures this round (the claim is per host): the control is fresh.
          controlRoundsClaimed = Math.max(controlRoundsClaimed, step.round);
          controlClaimedAfter = data.measurements().at(-1)?.id ?? 0;
          sinceControl = 0;
          continue;
        }
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
      let done: TrialRecord;
      try {
        done = await storage.setTrialState(step.trial.id, {
          ...outcome,
          // Every challenge failed: FAIL, whatever stopped it; else the judgement's state (a drop is PRUNED).
          state: outcome.state === 'FAIL' && figures.challenges > 0 ? 'FAIL' : step.state,
          reason: outcome.state === 'FAIL' && figures.challenges > 0 ? outcome.reason : (step.reason ?? figures.why),
          // A dropped trial keeps what its figures say (the sampler reads it); the ranking never counts it feasible.
          feasible: !interrupted && figures.feasible,
          verdict: step.verdict,
        });
      } catch (err) {
        if (!(await isLost(step.trial, err))) throw err;
        await dropLost(step.trial);
        continue;
      }
      data.put(done);
      live = null;
      if (interrupted) interruptedTrial = done.number;
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
  } finally {
    clearInterval(timer);
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
  const budgetLeft = view().budgetLeft;
  const othersFinish = !raceAnnounced && reason !== 'interrupted' && (othersRunning().length > 0 || (options.workerTrials != null && budgetLeft !== null && budgetLeft > 0));
  const leftTo = raceRunBy ?? (othersFinish ? 'other-workers' : null);
  return { stopReason: reason, interrupted: reason === 'interrupted', interruptedTrial, leftTo, trialsRun, raced, ranking: analysis.ranking, winner: analysis.winner, analysis };
}

/**
 * The lowest worker slot of the study that is free (or whose holder is gone), claimed for this
 * process, and the live workers of this host that hold the slots below it.
 */
async function claimSlot(storage: Storage, studyId: number, timeoutS: number): Promise<{ index: number; name: string; sameHost: Claim[] }> {
  const here = workerHost();
  const sameHost: Claim[] = [];
  for (let index = 0; index < MAX_SLOTS; index++) {
    const name = `worker:${index}`;
    const claim = await storage.claim(studyId, name, timeoutS);
    if (claim.won) return { index, name, sameHost };
    if (claim.workerHost === here) sameHost.push(claim);
  }
  return { index: MAX_SLOTS, name: `worker:${MAX_SLOTS}`, sameHost };
}

/** Workers of one host measuring at once share its CPU, GPU and link: every figure reads slower. */
function sharedHostWarning(others: readonly Claim[]): string {
  const who = others.map((c) => `pid ${c.workerPid}`).join(', ');
  return (
    `warning: ${others.length === 1 ? 'another worker' : `${others.length} other workers`} of this host (${who}) measure${others.length === 1 ? 's' : ''} this study at the same time: ` +
    'their challenges share its CPU, GPU and link, so every figure reads slower than the miner alone would run. ' +
    'Run one worker per host (several only with --evaluator replay); stop this one with Ctrl-C, its finished trials stay'
  );
}

/** Waits `ms`, or less when `stop` is aborted meanwhile. */
function sleepUnless(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted) return resolve();
    const done = () => {
      clearTimeout(timeout);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const timeout = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
  });
}

/** Why a trial failed when an error stopped the whole study (a missing replay row, a failing store): not the config's doing. */
const STOPPED_BY_ERROR = 'the study stopped with an error during this trial';

async function failLive(storage: Storage, trial: TrialRecord): Promise<void> {
  try {
    await storage.setTrialState(trial.id, { state: 'FAIL', reason: STOPPED_BY_ERROR });
  } catch {
    // the original error matters more
  }
}

/** Lets the evaluator open what these configs need; one it cannot open fails their challenges, not the study. */
async function keepReady(evaluator: Evaluator, configs: readonly Config[]): Promise<void> {
  try {
    await evaluator.keepReady?.(configs);
  } catch {
    // each challenge that needs it reports why
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
  if (t.state === 'FAIL' && (t.reason === INTERRUPTED_REASON || t.reason === STOPPED_BY_ERROR)) return false;
  // Its worker died (no heartbeat): another worker picks up its share.
  if (t.state === 'FAIL' && t.reason !== null && isStaleReason(t.reason)) return false;
  if (t.state === 'PRUNED' && t.verdict === null) return false; // interrupted before verdicts were kept
  return true;
}

/**
 * This host's challenges of other configs since its control was last measured, by any of its workers
 * (the data holds them in id order, the order the store took them in, whichever worker's sync brought
 * them), or since `claimedAfter`: a round another worker claimed counts as measured from the claim on.
 */
function challengesSinceControl(data: StudyData, standing: Standing, claimedAfter = 0): number {
  const control = standing.controlTrial;
  if (!control) return 0;
  const all = data.measurements();
  let count = 0;
  for (let i = all.length - 1; i >= 0 && all[i]!.trialId !== control.id && all[i]!.id > claimedAfter; i--) count++;
  return count;
}

/**
 * Sampler history from the study: what each finished trial scored on its search measurements, and
 * the trials other workers are measuring now (RUNNING, pending: samplers do not propose them again). A
 * trial the race dropped is shown as measured (samplers ignore PRUNED trials, and its figures say
 * where not to look); once the host drifted, values are normalised by the control.
 */
export function historyOf(trials: readonly TrialRecord[], data?: StudyData, standing?: Standing): TrialSummary[] {
  return trials
    .map((t): TrialSummary => {
      if (t.state === 'RUNNING') {
        return { number: t.number, params: t.params, state: 'RUNNING', value: null, feasible: false, violation: 0, baseline: t.baseline };
      }
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
