// The storage interface the study runner and the commands use. Finished trials are immutable.

import type { ChallengeFigures } from '../pipeline/types.js';
import type { Config } from '../search/index.js';
export type TrialState = 'RUNNING' | 'COMPLETE' | 'FAIL' | 'PRUNED';
/**
 * Which part of a study a measurement belongs to: a trial's own measurement ('search'), the
 * confirmation race at the end ('confirm'), or a round of the control config measured between trials
 * to watch the host's speed ('control', stored on the control's baseline trial).
 */
export type Phase = 'search' | 'confirm' | 'control';

/** Why a trial stopped measuring, as the runner decided it; stored with the finished trial. */
export interface TrialVerdict {
  /**
   * planned: every planned challenge ran; precise: adaptive repeats reached their precision;
   * clear-loser: adaptive repeats stopped a trial behind the incumbent (within its first round, or
   * after a later whole round);
   * infeasible: it could no longer become feasible; race: dropped by the race (p-value against `vs`);
   * interrupted: the user stopped the study.
   */
  kind: 'planned' | 'precise' | 'clear-loser' | 'infeasible' | 'race' | 'interrupted';
  /** Challenges the trial measured, and the most its plan allowed (their difference was saved). */
  challenges: number;
  planned: number;
  /** Repeats per video it got (the most of any video). */
  repeats: number;
  /** race: one-sided p-value of the paired test; clear-loser: the ratio to the incumbent. */
  p?: number;
  ratio?: number;
  /** The incumbent's trial number it was judged against. */
  vs?: number;
  /** Whether the comparison used figures normalised by the control (the host's speed moved). */
  normalised?: boolean;
}

export interface ObjectiveSpec {
  kind: 'fastest-safe' | 'sn44';
  /** fastest-safe: accuracy must reach floor x the reference's accuracy (1.0 against itself). */
  accuracyFloor: number;
  /** sn44: the fastest valid answer in the validator's batch, seconds. */
  tMin: number;
  /** A trial whose repeated answers on one video differ is infeasible (turbovision re-runs miners). */
  requireReproducible?: boolean;
}

export interface NewStudy {
  name: string;
  spaceFile: string;
  /** The space as loaded, so a study stays readable when the YAML file changes. */
  space: unknown;
  objective: ObjectiveSpec;
  settings: Record<string, unknown>;
  host: unknown;
  netProbe?: unknown;
}

export interface StudyRecord extends Required<NewStudy> {
  id: number;
  createdAt: string;
}

export interface TrialRecord {
  id: number;
  studyId: number;
  number: number;
  params: Config;
  baseline: string | null;
  state: TrialState;
  reason: string | null;
  value: number | null;
  feasible: boolean;
  violation: number | null;
  /** Why it stopped measuring (null for trials of older versions and RUNNING ones). */
  verdict: TrialVerdict | null;
  /** The host and process that ran it. */
  workerHost: string;
  workerPid: number;
  startedAt: string;
  finishedAt: string | null;
  /** Its worker's last sign of life (start, search measurement or heartbeat), by the store's clock. */
  heartbeatAt: string;
}

export interface TrialOutcome {
  state: Exclude<TrialState, 'RUNNING'>;
  reason?: string | null;
  value?: number | null;
  feasible?: boolean;
  violation?: number | null;
  verdict?: TrialVerdict | null;
}

export interface NewMeasurement extends ChallengeFigures {
  videoUrl: string;
  repeat: number;
  phase: Phase;
}

export interface MeasurementRecord extends NewMeasurement {
  id: number;
  trialId: number;
  createdAt: string;
}

/** Who holds a claimed piece of work, and whether that is the caller. */
export interface Claim {
  name: string;
  workerHost: string;
  workerPid: number;
  /** The holder's last claim or renewal, by the store's clock. */
  heartbeatAt: string;
  won: boolean;
}

/** A whole study as `importStudy` takes it (and `store copy` reads it): ids are the target's to assign. */
export interface StudyDump {
  study: Omit<StudyRecord, 'id'>;
  trials: Omit<TrialRecord, 'id' | 'studyId'>[];
  /** In the order they were added (across trials); each names its trial by number. */
  measurements: (Omit<MeasurementRecord, 'id' | 'trialId'> & { trialNumber: number })[];
}

export interface VideoRecord {
  url: string;
  size: number | null;
  etag: string | null;
  sha256: string | null;
  frames: number | null;
  faststart: boolean | null;
}

/**
 * Where studies live. Every method settles asynchronously (a database server has no synchronous
 * client); a backend maps its failures onto the errors of errors.ts. Every backend passes the
 * conformance suite in test/store/conformance.ts, which also runs several workers (processes) on one
 * store at once: trial creation, claims and stale-trial sweeps are atomic in every backend.
 */
export interface Storage {
  /** Names the store in messages: a file path, or a database URL without its password. */
  readonly path: string;
  /** E_STUDY when the name is taken. */
  createStudy(study: NewStudy): Promise<StudyRecord>;
  getStudy(name: string): Promise<StudyRecord | null>;
  listStudies(): Promise<StudyRecord[]>;
  /**
   * Replaces the mutable parts of a study (settings of the latest run, host snapshot, net probe, the
   * space when its file was edited); E_NOT_FOUND for an unknown study.
   */
  updateStudy(name: string, patch: Partial<Pick<NewStudy, 'settings' | 'host' | 'netProbe' | 'space'>>): Promise<StudyRecord>;
  /**
   * Marks FAIL the RUNNING trials whose worker is known to be gone: started by this process, or by a
   * process of this host that has ended (SQLite, a one-host store: also any other host's); a shared
   * store leaves other hosts' trials to `failStaleTrials`. Returns the numbers it marked.
   */
  failInterruptedTrials(studyId: number, reason: string): Promise<number[]>;
  /**
   * Claims and creates a RUNNING trial numbered after the study's last one, recording this host and
   * process, in one atomic step: concurrent creators never share a number, and a config is never
   * RUNNING twice at once: null when a trial with the same config (configKey) is RUNNING already.
   */
  createTrial(studyId: number, init: { params: Config; baseline: string | null }): Promise<TrialRecord | null>;
  /** Records that the trial's worker is alive; false when the trial is no longer RUNNING (another worker failed it as stale). */
  heartbeat(trialId: number): Promise<boolean>;
  /**
   * Marks FAIL every RUNNING trial of the study whose last sign of life is more than `timeoutS` old
   * (by the store's clock, so hosts' clocks do not matter), each exactly once whoever calls; returns
   * the numbers this call marked.
   */
  failStaleTrials(studyId: number, timeoutS: number): Promise<number[]>;
  /** Finishes a RUNNING trial; a finished trial cannot change (E_STORE). */
  setTrialState(trialId: number, outcome: TrialOutcome): Promise<TrialRecord>;
  getTrial(studyId: number, number: number): Promise<TrialRecord | null>;
  /**
   * The study's trials by number. With `since` (a reader bringing its copy up to date), only the trials
   * numbered above `since.number` and those with an id in `since.ids` (the ones the reader holds as
   * RUNNING: a trial changes once more, when it finishes). Trials become visible in number order: a
   * reader that sees trial n sees every trial before it.
   */
  listTrials(studyId: number, since?: { number: number; ids: readonly number[] }): Promise<TrialRecord[]>;
  /**
   * Committed at once. Search measurements need a RUNNING trial (and count as its heartbeat);
   * confirm and control ones a COMPLETE trial (else E_STORE).
   */
  addMeasurement(trialId: number, measurement: NewMeasurement): Promise<MeasurementRecord>;
  /**
   * In the order they were added. `afterId` (with `studyId`): only those with a larger id. A study's
   * measurements become visible in id order, so a reader that saw id n has seen every earlier one of
   * that study and can ask for `afterId: n` next time.
   */
  listMeasurements(filter: { studyId?: number; trialId?: number; phase?: Phase; afterId?: number }): Promise<MeasurementRecord[]>;
  /**
   * Claims a named piece of a study's work (the confirmation race, a control round) for this process,
   * atomically: the first caller wins and later callers get the holder. The holder renews it by
   * claiming again; a claim whose holder is gone (a process of this host that ended, or no renewal for
   * `staleAfterS` by the store's clock) is taken over.
   */
  claim(studyId: number, name: string, staleAfterS: number): Promise<Claim>;
  putVideo(video: VideoRecord): Promise<void>;
  getVideo(url: string): Promise<VideoRecord | null>;
  /** Every video, by URL. */
  listVideos(): Promise<VideoRecord[]>;
  putReference(key: string, answer: unknown): Promise<void>;
  getReference(key: string): Promise<unknown | null>;
  /** The keys of every stored reference answer, sorted. */
  listReferenceKeys(): Promise<string[]>;
  /** Writes a whole study (trials with their numbers, states and times, measurements) in one transaction; E_STUDY when the name is taken. */
  importStudy(dump: StudyDump): Promise<StudyRecord>;
  close(): Promise<void>;
}
