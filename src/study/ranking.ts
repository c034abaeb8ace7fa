// Ranks a study's trials and says how far its figures can be trusted.
//
// Order: the survivors of the confirmation race (judged on their race measurements), then the trials
// the race dropped (with the control when the race would have dropped it: it is kept, as the
// yardstick, but is no survivor), then the feasible trials that were not raced (judged on their search
// measurements), then the trials dropped by the race during the search, then the rest (infeasible,
// failed, interrupted: least violation first). When the control shows that the host's speed moved,
// trials are ordered by their figures relative to the control measured near them (the ratio for
// fastest-safe, the SN44 estimate at the control's reference speed for sn44); absolute figures stay
// in the rows. Every comparison (the rank test, the speed-ups over the baselines) sets figures of
// one phase against figures of the same phase.

import type { Config } from '../pipeline/types.js';
import type { MeasurementRecord, ObjectiveSpec, Phase, TrialRecord, TrialState, TrialVerdict } from '../store/types.js';
import { ratioToControl, type RatioToControl } from './control.js';
import { speedups, type SpeedupBasis } from './speedup.js';
export { baselineRows } from './speedup.js';
import { onHost, StudyData } from './data.js';
import { raceShift, type Drift } from './drift.js';
import { evaluateObjective, type Observation, type TrialFigures } from './objective.js';
import { policyOf, type MeasurePolicy } from './policy.js';
import { replayConfirmRace, type BlockValue, type ConfirmRace } from './race.js';
import { blocksOf, feasibleOf, standingOf, unracedBaselines, valueOf, type Standing } from './standing.js';
import { bootstrapMedianRatioInterval, mannWhitneyU, median, RANK_TEST_ALPHA, smallestRankTestP, type Interval } from './stats.js';
import { trialWarnings, type TrialWarning } from './warnings.js';

export type { SpeedupBasis } from './speedup.js';

export interface RankedTrial extends Omit<TrialFigures, 'totals' | 'sn44s'> {
  rank: number;
  number: number;
  /** The host that measured it (a config measured on two hosts is two rows, never one sample). */
  host: string;
  params: Config;
  state: TrialState;
  reason: string | null;
  baseline: string | null;
  /** Which measurements the figures come from: the current confirmation race, or the search. */
  phase: Phase;
  /**
   * p-value of the rank test against the best trial (same phase); null for the best, for infeasible
   * trials, and where the two have too few figures for the test to tell any configs apart at alpha.
   */
  pVsBest: number | null;
  /** Not significantly different from the best (p >= alpha) by a test that could have told them apart, or the best itself. */
  tiedWithBest: boolean;
  /** Baseline name -> the baseline's median / this trial's median (> 1 means faster), figures of one phase. */
  speedup: Record<string, number | null>;
  /** Which figures each speed-up compares. */
  speedupBasis: Record<string, SpeedupBasis>;
  /** Most challenges on one video in the search (its repeats), and rounds of the current race it ran. */
  repeats: number;
  raceRounds: number;
  /** Median ratio of its (ranked) measurements to the control's nearest in time, with a bootstrap 95% interval. */
  ratioToControl: RatioToControl | null;
  /** What the ranking orders by: the objective's value, normalised by the control when the host drifted. */
  rankValue: number | null;
  /**
   * The objective's value against the control measured near each challenge (null without a control):
   * the control is measured in the search and in the race, so this compares trials across phases.
   */
  controlValue: number | null;
  /** Why its search stopped measuring (null for trials of older versions). */
  verdict: TrialVerdict | null;
  /** Dropped by the race: in the search (PRUNED) or in the confirmation race, with the p-value. */
  dropped: { phase: 'search' | 'confirm'; p: number; vs: number; blocks: number; round: number | null } | null;
  /** Raced and kept (the control), but significantly worse than the race's best at its last round: ranked with the dropped. */
  outpaced: boolean;
  /** Challenges its early stop or its drop from the race saved (against the most its plan allowed). */
  saved: number;
  /**
   * Its search figures, whatever it is ranked on; for a trial ranked on the race, the bootstrap 95%
   * interval of its race median over its search median (the gap between the phases that their own
   * noise allows; null otherwise or from fewer than 2 figures in either).
   */
  search: { median: number | null; interval: Interval | null; challenges: number; raceOverSearch: Interval | null };
  warnings: TrialWarning[];
  totals: number[];
  sn44s: number[];
}

export interface ControlSummary {
  name: string;
  trial: number;
  rounds: number;
  /** Challenges of the control rounds (its own search and race challenges not counted). */
  challenges: number;
  /** Their share of every challenge of the study. */
  share: number;
}

export interface RaceSummary {
  enabled: boolean;
  /** Trial numbers in the current confirmation race, its finished rounds, and the ones it dropped. */
  contenders: number[];
  rounds: number;
  dropped: number[];
  /** Baselines left out of the race (racing on): their search shows they cannot become feasible. */
  unraced: { number: number; baseline: string; why: string }[];
  /** Trials dropped during the search. */
  searchDropped: number[];
}

export interface StudyAnalysis {
  ranking: RankedTrial[];
  winner: RankedTrial | null;
  drift: Drift;
  rankedBy: 'absolute' | 'control-normalised';
  control: ControlSummary | null;
  race: RaceSummary;
  /** Challenges saved by early stops and the race. */
  saved: number;
  challenges: Record<Phase, number> & { total: number };
  /**
   * Set when the trials come from more than one host (see hosts.ts): each row's figures are its own
   * host's, and rows of different hosts are ordered by their ratio to their own host's control, or
   * listed host by host when a host has no control.
   */
  acrossHosts: { hosts: string[]; orderedBy: 'ratio-to-own-control' | 'host-by-host' } | null;
}

export function observationOf(m: MeasurementRecord): Observation {
  return {
    videoUrl: m.videoUrl,
    total: m.timeline.total,
    accuracy: m.accuracy,
    coverage: m.coverage,
    truthF1: m.truthF1,
    sn44: m.sn44,
    error: m.error,
    setupS: m.setupS ?? null,
    answerHash: m.answerHash ?? null,
  };
}

export interface AnalysisInput {
  trials: readonly TrialRecord[];
  measurements: readonly MeasurementRecord[];
  objective: ObjectiveSpec;
  /** How the study measured (from its settings); older studies: fixed repeats, no race, no control. */
  policy?: MeasurePolicy;
  /** The study's videos (a race round measures each); default: those of the search measurements. */
  videos?: readonly string[];
  /** Only the trials this host measured (and their measurements); default: every trial. */
  host?: string;
}

/** The analysis of a stored study (of one host's trials when given), with the policy and videos its settings recorded. */
export function analyseStoredStudy(
  study: { objective: ObjectiveSpec; settings: Record<string, unknown> },
  trials: readonly TrialRecord[],
  measurements: readonly MeasurementRecord[],
  host?: string,
): StudyAnalysis {
  const videos = Array.isArray(study.settings.videos) ? (study.settings.videos as string[]) : undefined;
  return analyseStudy({ trials, measurements, objective: study.objective, policy: policyOf(study.settings), videos, host });
}

export function analyseStudy(input: AnalysisInput): StudyAnalysis {
  const { objective } = input;
  const policy = input.policy ?? policyOf({});
  const data = input.host === undefined ? new StudyData(input.trials, input.measurements) : hostData(input.trials, input.measurements, input.host);
  const videos = input.videos ?? [...new Set(input.measurements.filter((m) => m.phase === 'search').map((m) => m.videoUrl))];
  const standing = standingOf(data, objective, policy.control, videos.length);
  const direction = standing.direction;
  const race = currentRace(data, standing, policy, videos);
  const raced = new Set(race?.contenders ?? []);

  const rows = data
    .trials()
    .filter((t) => t.state !== 'RUNNING')
    .map((trial) => rowOf(trial, data, standing, policy, videos.length, race, raced.has(trial.id)));

  const unraced = race && policy.racing.enabled ? unracedBaselines(data, objective, policy.control).map(({ trial, why }) => ({ number: trial.number, baseline: trial.baseline!, why })) : [];
  for (const u of unraced) {
    const row = rows.find((r) => r.number === u.number);
    if (row) row.saved += policy.confirmRepeats * videos.length;
  }
  const drift = driftOf(standing, data, rows);
  const better = (a: number | null, b: number | null) => {
    if (a === null && b === null) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    return direction === 'minimize' ? a - b : b - a;
  };
  // Below the race's survivors, the trials it dropped and those it did not measure are one group, by
  // their value against the control (measured in both phases): a trial's place does not depend on
  // whether it was the third or the fourth best of the search.
  const acrossPhases = race !== null && standing.ratios !== null;
  const tier = (r: RankedTrial) => (acrossPhases && group(r) === 2 ? 1 : group(r));
  rows.sort((a, b) => {
    const ga = tier(a);
    const gb = tier(b);
    if (ga !== gb) return ga - gb;
    if (ga === 1 && acrossPhases) return better(a.controlValue, b.controlValue) || a.number - b.number;
    if (ga < 4) return better(a.rankValue, b.rankValue) || a.number - b.number;
    return a.violation - b.violation || better(a.value, b.value) || a.number - b.number;
  });
  rows.forEach((row, i) => (row.rank = i + 1));
  const winner = rows.find((r) => group(r) === 0 || group(r) === 2) ?? null;

  const samples = samplesOf(data, standing, objective);
  if (winner) {
    for (const row of rows) {
      if (row === winner) row.tiedWithBest = true;
      else if (row.feasible && !row.dropped) {
        const phase = row.phase === 'confirm' && winner.phase === 'confirm' ? 'confirm' : 'search';
        const best = samples(winner, phase);
        const mine = samples(row, phase);
        // Too few figures for the test to tell any two configs apart: neither tied nor behind.
        if (smallestRankTestP(best.length, mine.length) >= RANK_TEST_ALPHA) continue;
        row.pVsBest = mannWhitneyU(best, mine).p;
        row.tiedWithBest = row.pVsBest >= RANK_TEST_ALPHA;
      }
    }
  }
  speedups(rows, data, standing);

  const counts = data.counts();
  const total = counts.search + counts.confirm + counts.control;
  const controlTrial = standing.controlTrial;
  const controlMeasurements = controlTrial ? data.of(controlTrial.id, 'control') : [];
  return {
    ranking: rows,
    winner,
    drift,
    rankedBy: standing.normaliser ? 'control-normalised' : 'absolute',
    control: controlTrial
      ? {
          name: controlTrial.baseline!,
          trial: controlTrial.number,
          rounds: new Set(controlMeasurements.map((m) => m.repeat)).size,
          challenges: controlMeasurements.length,
          share: total > 0 ? controlMeasurements.length / total : 0,
        }
      : null,
    race: {
      enabled: policy.racing.enabled,
      contenders: (race?.contenders ?? []).map((id) => data.trial(id)!.number),
      rounds: race?.rounds ?? 0,
      dropped: [...(race?.dropped.keys() ?? [])].map((id) => data.trial(id)!.number),
      unraced,
      searchDropped: rows.filter((r) => r.dropped?.phase === 'search').map((r) => r.number),
    },
    saved: rows.reduce((s, r) => s + r.saved, 0),
    challenges: { ...counts, total },
    acrossHosts: null,
  };
}

/** One host's trials and their measurements. */
function hostData(trials: readonly TrialRecord[], measurements: readonly MeasurementRecord[], host: string): StudyData {
  const own = onHost(trials, measurements, host);
  return new StudyData(own.trials, own.measurements);
}

/** The ranking alone (see analyseStudy). */
export function rankTrials(
  trials: readonly TrialRecord[],
  measurements: readonly MeasurementRecord[],
  objective: ObjectiveSpec,
  policy?: MeasurePolicy,
): RankedTrial[] {
  return analyseStudy({ trials, measurements, objective, policy }).ranking;
}

/** Survivors of the race, then dropped by it (or outpaced), then unraced feasible, then dropped in the search, then the rest. */
export function group(r: RankedTrial): number {
  if (r.dropped?.phase === 'search') return 3;
  if (!r.feasible) return 4;
  if (r.phase === 'confirm') return r.dropped || r.outpaced ? 1 : 0;
  return 2;
}

/** The confirmation race of the study as it stands (null when none has started). */
export function currentRace(data: StudyData, standing: Standing, policy: MeasurePolicy, videos: readonly string[]): ConfirmRace | null {
  // The contenders are the trials the race measured (the runner chose them with raceContenders).
  const contenders = data.trials().filter((t) => data.race(t.id).length > 0).map((t) => t.id);
  if (contenders.length === 0) return null;
  return replayRaceOf(contenders, data, standing, policy, videos);
}

/**
 * The confirmation race of these contenders, replayed from their race blocks: the control is never
 * dropped, and only feasible trials can be the best the others are compared with. The runner (which
 * chooses the contenders) and the readers (which find them in the blocks) both call this.
 */
export function replayRaceOf(contenders: readonly number[], data: StudyData, standing: Standing, policy: MeasurePolicy, videos: readonly string[]): ConfirmRace {
  return replayConfirmRace({
    contenders,
    kept: new Set(standing.controlTrial ? [standing.controlTrial.id] : []),
    eligible: feasibleOf(data),
    blocks: new Map(contenders.map((id) => [id, data.race(id).map((m) => rawBlock(m, standing.objective))])),
    videos,
    policy: policy.racing,
    direction: standing.direction,
  });
}

/** A race block with the objective's raw value: race rounds interleave their contenders, so they share conditions. */
export function rawBlock(m: MeasurementRecord, objective: ObjectiveSpec): BlockValue {
  return { videoUrl: m.videoUrl, repeat: m.repeat, value: m.error !== null ? null : objective.kind === 'sn44' ? m.sn44 : m.timeline.total };
}

function rowOf(
  trial: TrialRecord,
  data: StudyData,
  standing: Standing,
  policy: MeasurePolicy,
  videoCount: number,
  race: ConfirmRace | null,
  raced: boolean,
): RankedTrial {
  const search = data.of(trial.id, 'search');
  const raceMs = raced ? data.race(trial.id) : [];
  const phase: Phase = raceMs.length > 0 ? 'confirm' : 'search';
  const used = phase === 'confirm' ? raceMs : search;
  const figures = evaluateObjective(used.map(observationOf), standing.objective, trial.number + 1);
  const searchFigures = phase === 'search' ? figures : evaluateObjective(search.map(observationOf), standing.objective, trial.number + 1);
  const raceDrop = race?.dropped.get(trial.id);
  const outpaced = race?.outpaced.get(trial.id);
  let dropped: RankedTrial['dropped'] = null;
  let saved = 0;
  const v = trial.verdict;
  if (v && v.kind !== 'planned' && v.kind !== 'interrupted') saved += Math.max(0, v.planned - v.challenges);
  if (trial.state === 'PRUNED' && v?.kind === 'race') {
    dropped = { phase: 'search', p: v.p ?? NaN, vs: v.vs ?? -1, blocks: v.challenges, round: null };
  }
  if (raceDrop) {
    dropped = { phase: 'confirm', p: raceDrop.p, vs: data.trial(raceDrop.vs)!.number, blocks: raceDrop.blocks, round: raceDrop.round };
    saved += Math.max(0, policy.confirmRepeats - raceDrop.round) * videoCount;
  }
  if (trial.state !== 'COMPLETE') {
    const why = dropped ? `dropped by the race: ${trial.reason ?? ''}`.trim() : `${trial.state.toLowerCase()}: ${trial.reason ?? figures.why ?? 'did not finish'}`;
    if (figures.feasible) figures.violation = Math.max(figures.violation, 1);
    figures.feasible = false;
    figures.why = why;
  } else if (raceDrop) {
    figures.why = `dropped by the confirmation race after round ${raceDrop.round} (p = ${raceDrop.p.toPrecision(2)} vs trial ${dropped!.vs}, Holm-adjusted)`;
  } else if (outpaced) {
    figures.why = `the control, kept in the race; behind trial ${data.trial(outpaced.vs)!.number} after round ${outpaced.round} (p = ${outpaced.p.toPrecision(2)})`;
  }
  const perVideo = new Map<string, number>();
  for (const m of search) perVideo.set(m.videoUrl, (perVideo.get(m.videoUrl) ?? 0) + 1);
  return {
    ...figures,
    rank: 0,
    number: trial.number,
    host: trial.workerHost,
    params: trial.params,
    state: trial.state,
    reason: trial.reason,
    baseline: trial.baseline,
    phase,
    pVsBest: null,
    tiedWithBest: false,
    speedup: {},
    speedupBasis: {},
    repeats: Math.max(0, ...perVideo.values()),
    raceRounds: new Set(raceMs.map((m) => m.repeat)).size,
    ratioToControl: standing.ratios ? ratioToControl(used, standing.ratios, trial.number + 7) : null,
    rankValue: standing.normaliser ? valueOf(blocksOf(used, standing)) : figures.value,
    controlValue: standing.ratios ? median(used.map((m) => standing.ratios!.value(m)).filter((v): v is number => v !== null)) : null,
    verdict: trial.verdict,
    dropped,
    outpaced: outpaced !== undefined,
    saved,
    search: {
      median: searchFigures.median,
      interval: searchFigures.interval,
      challenges: search.length,
      raceOverSearch: phase === 'confirm' ? bootstrapMedianRatioInterval(figures.totals, searchFigures.totals, { seed: trial.number + 11 }) : null,
    },
    warnings: trialWarnings(search),
  };
}

/**
 * The drift verdict: the control's series, or the baselines' race figures against their figures before
 * the race (the control's include its control rounds: its search alone may be one challenge).
 */
function driftOf(standing: Standing, data: StudyData, rows: readonly RankedTrial[]): Drift {
  if (standing.drift.detected) return standing.drift;
  const byNumber = new Map(data.trials().map((t) => [t.number, t]));
  const shifts = rows
    .filter((r) => r.baseline !== null && r.phase === 'confirm' && r.state === 'COMPLETE')
    .map((r) => {
      const id = byNumber.get(r.number)!.id;
      const before = [...data.of(id, 'search'), ...data.of(id, 'control')].filter((m) => m.error === null && m.timeline.total !== null);
      return raceShift(before.map((m) => m.timeline.total!), r.totals, r.number + 1);
    })
    .filter((s): s is number => s !== null);
  if (shifts.length === 0) return standing.drift;
  return { ...standing.drift, detected: true, factor: Math.max(...shifts), source: 'race' };
}

function samplesOf(data: StudyData, standing: Standing, objective: ObjectiveSpec) {
  const byNumber = new Map(data.trials().map((t) => [t.number, t]));
  return (row: RankedTrial, phase: Phase): number[] => {
    const trial = byNumber.get(row.number)!;
    const ms = phase === 'confirm' ? data.race(trial.id) : data.of(trial.id, 'search');
    if (standing.normaliser) return blocksOf(ms, standing).filter((b) => !b.failed && b.value !== null).map((b) => b.value!);
    return ms
      .filter((m) => m.error === null)
      .map((m) => (objective.kind === 'sn44' ? m.sn44 : m.timeline.total))
      .filter((v): v is number => v !== null);
  };
}
