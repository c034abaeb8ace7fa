// The storage interface the study runner and the commands use. Finished trials are immutable.

import type { ChallengeFigures, Config } from '../pipeline/types.js';
import type { TrialState } from '../study/types.js';

export type Phase = 'search' | 'confirm';

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
  workerHost: string;
  workerPid: number;
  startedAt: string;
  finishedAt: string | null;
}

export interface TrialOutcome {
  state: Exclude<TrialState, 'RUNNING'>;
  reason?: string | null;
  value?: number | null;
  feasible?: boolean;
  violation?: number | null;
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

export interface VideoRecord {
  url: string;
  size: number | null;
  etag: string | null;
  sha256: string | null;
  frames: number | null;
  faststart: boolean | null;
}

export interface Storage {
  readonly path: string;
  createStudy(study: NewStudy): StudyRecord;
  getStudy(name: string): StudyRecord | null;
  listStudies(): StudyRecord[];
  /** Replaces the mutable parts of a study (settings of the latest run, host snapshot, net probe). */
  updateStudy(name: string, patch: Partial<Pick<NewStudy, 'settings' | 'host' | 'netProbe'>>): StudyRecord;
  /** Marks RUNNING trials whose process is gone as FAIL; returns the numbers it marked. */
  failInterruptedTrials(studyId: number, reason: string): number[];
  /** A new RUNNING trial numbered after the study's last one. */
  createTrial(studyId: number, init: { params: Config; baseline: string | null }): TrialRecord;
  /** Finishes a RUNNING trial; a finished trial cannot change (E_STORE). */
  setTrialState(trialId: number, outcome: TrialOutcome): TrialRecord;
  getTrial(studyId: number, number: number): TrialRecord | null;
  listTrials(studyId: number): TrialRecord[];
  /** Committed at once. Search measurements need a RUNNING trial; confirm ones a COMPLETE trial. */
  addMeasurement(trialId: number, measurement: NewMeasurement): MeasurementRecord;
  listMeasurements(filter: { studyId?: number; trialId?: number; phase?: Phase }): MeasurementRecord[];
  putVideo(video: VideoRecord): void;
  getVideo(url: string): VideoRecord | null;
  putReference(key: string, answer: unknown): void;
  getReference(key: string): unknown | null;
  close(): void;
}
