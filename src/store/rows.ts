// Row <-> record mapping, for both backends: their tables have the same columns and column kinds
// (see schema.ts), and both clients hand back numbers for integers and reals. The column lists here
// are the one place an INSERT's columns are named: each backend builds its statements from them.

import { AutotuneError } from '../errors.js';
import type { FailureReason, Protocol } from '../pipeline/types.js';
import { configKey } from '../search/index.js';
import type { Claim, MeasurementRecord, NewMeasurement, ObjectiveSpec, Phase, StudyRecord, TrialRecord, TrialState, VideoRecord } from './types.js';

export type Row = Record<string, unknown>;

const parse = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : null);
export const json = (value: unknown) => JSON.stringify(value ?? null);

export function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function studyFromRow(row: Row): StudyRecord {
  return {
    id: row.id as number,
    name: row.name as string,
    spaceFile: row.space_file as string,
    space: parse(row.space_json),
    objective: parse(row.objective_json) as ObjectiveSpec,
    settings: parse(row.settings_json) ?? {},
    host: parse(row.host_json),
    netProbe: parse(row.net_probe_json),
    createdAt: row.created_at as string,
  };
}

export const STUDY_COLUMNS = ['name', 'space_file', 'space_json', 'objective_json', 'settings_json', 'host_json', 'net_probe_json', 'created_at'] as const;

export function studyRow(study: Omit<StudyRecord, 'id' | 'netProbe'> & { netProbe?: unknown }): Record<(typeof STUDY_COLUMNS)[number], unknown> {
  return {
    name: study.name,
    space_file: study.spaceFile,
    space_json: json(study.space),
    objective_json: json(study.objective),
    settings_json: json(study.settings),
    host_json: json(study.host),
    net_probe_json: json(study.netProbe ?? null),
    created_at: study.createdAt,
  };
}

export function trialFromRow(row: Row): TrialRecord {
  return {
    id: row.id as number,
    studyId: row.study_id as number,
    number: row.number as number,
    params: parse(row.params_json) ?? {},
    baseline: (row.baseline as string | null) ?? null,
    state: row.state as TrialState,
    reason: (row.reason as string | null) ?? null,
    value: (row.value as number | null) ?? null,
    feasible: row.feasible === 1,
    violation: (row.violation as number | null) ?? null,
    verdict: parse(row.verdict_json),
    workerHost: row.worker_host as string,
    workerPid: row.worker_pid as number,
    startedAt: row.started_at as string,
    finishedAt: (row.finished_at as string | null) ?? null,
    heartbeatAt: (row.heartbeat_at as string | null) ?? (row.started_at as string),
  };
}

export const TRIAL_COLUMNS = [
  'study_id',
  'number',
  'params_json',
  'baseline',
  'state',
  'reason',
  'value',
  'feasible',
  'violation',
  'worker_host',
  'worker_pid',
  'started_at',
  'finished_at',
  'heartbeat_at',
  'config_key',
  'verdict_json',
] as const;

export function trialRow(studyId: number, trial: Omit<TrialRecord, 'id' | 'studyId'>): Record<(typeof TRIAL_COLUMNS)[number], unknown> {
  return {
    study_id: studyId,
    number: trial.number,
    params_json: json(trial.params),
    baseline: trial.baseline,
    state: trial.state,
    reason: trial.reason,
    value: finiteOrNull(trial.value),
    feasible: trial.feasible ? 1 : 0,
    violation: finiteOrNull(trial.violation),
    worker_host: trial.workerHost,
    worker_pid: trial.workerPid,
    started_at: trial.startedAt,
    finished_at: trial.finishedAt,
    heartbeat_at: trial.heartbeatAt,
    config_key: configKey(trial.params),
    verdict_json: trial.verdict ? json(trial.verdict) : null,
  };
}

/** The new id of the trial a dumped measurement names by number (E_INPUT for a dump that lacks it). */
export function trialIdOf(ids: ReadonlyMap<number, number>, number: number): number {
  const id = ids.get(number);
  if (id === undefined) throw new AutotuneError('E_INPUT', `a measurement names trial ${number}, which the study being imported does not have`);
  return id;
}

export function measurementFromRow(row: Row): MeasurementRecord {
  const n = (key: string) => (row[key] as number | null) ?? null;
  return {
    id: row.id as number,
    trialId: row.trial_id as number,
    videoUrl: row.video_url as string,
    repeat: row.repeat as number,
    phase: row.phase as Phase,
    timeline: {
      connected: n('connected'),
      firstByte: n('first_byte'),
      downloadEnd: n('download_end'),
      decoderStart: n('decoder_start'),
      firstFrame: n('first_frame'),
      firstBatch: n('first_batch'),
      lastFrame: n('last_frame'),
      total: n('total'),
    },
    bytes: row.bytes as number,
    protocol: (row.protocol as Protocol | null) ?? null,
    framesDecoded: row.frames_decoded as number,
    framesAnswered: row.frames_answered as number,
    framesInVideo: n('frames_in_video'),
    accuracy: n('accuracy'),
    coverage: n('coverage'),
    truthF1: n('truth_f1'),
    sn44: n('sn44'),
    provider: (row.provider as string | null) ?? null,
    decoder: (row.decoder as string | null) ?? null,
    error: row.error_reason
      ? { reason: row.error_reason as FailureReason, message: (row.error_message as string) ?? '' }
      : null,
    setupS: n('setup_s'),
    answerHash: (row.answer_hash as string | null) ?? null,
    createdAt: row.created_at as string,
  };
}

export const MEASUREMENT_COLUMNS = [
  'trial_id',
  'video_url',
  'repeat',
  'phase',
  'connected',
  'first_byte',
  'download_end',
  'decoder_start',
  'first_frame',
  'first_batch',
  'last_frame',
  'total',
  'bytes',
  'protocol',
  'frames_decoded',
  'frames_answered',
  'frames_in_video',
  'accuracy',
  'coverage',
  'truth_f1',
  'sn44',
  'provider',
  'decoder',
  'error_reason',
  'error_message',
  'setup_s',
  'answer_hash',
  'created_at',
] as const;

/** The measurement as stored: non-finite figures become null, an absent setup time or answer hash null. */
export function storedMeasurement<M extends NewMeasurement>(m: M): M {
  return {
    ...m,
    accuracy: finiteOrNull(m.accuracy),
    coverage: finiteOrNull(m.coverage),
    truthF1: finiteOrNull(m.truthF1),
    sn44: finiteOrNull(m.sn44),
    setupS: finiteOrNull(m.setupS),
    answerHash: m.answerHash ?? null,
  };
}

export function measurementRow(trialId: number, m: NewMeasurement, createdAt: string): Record<(typeof MEASUREMENT_COLUMNS)[number], unknown> {
  const t = m.timeline;
  const s = storedMeasurement(m);
  return {
    trial_id: trialId,
    video_url: m.videoUrl,
    repeat: m.repeat,
    phase: m.phase,
    connected: t.connected,
    first_byte: t.firstByte,
    download_end: t.downloadEnd,
    decoder_start: t.decoderStart,
    first_frame: t.firstFrame,
    first_batch: t.firstBatch,
    last_frame: t.lastFrame,
    total: t.total,
    bytes: m.bytes,
    protocol: m.protocol,
    frames_decoded: m.framesDecoded,
    frames_answered: m.framesAnswered,
    frames_in_video: m.framesInVideo,
    accuracy: s.accuracy,
    coverage: s.coverage,
    truth_f1: s.truthF1,
    sn44: s.sn44,
    provider: m.provider,
    decoder: m.decoder,
    error_reason: m.error?.reason ?? null,
    error_message: m.error?.message ?? null,
    setup_s: s.setupS,
    answer_hash: s.answerHash,
    created_at: createdAt,
  };
}

export function videoFromRow(row: Row): VideoRecord {
  return {
    url: row.url as string,
    size: (row.size as number | null) ?? null,
    etag: (row.etag as string | null) ?? null,
    sha256: (row.sha256 as string | null) ?? null,
    frames: (row.frames as number | null) ?? null,
    faststart: row.faststart === null || row.faststart === undefined ? null : row.faststart === 1,
  };
}

export const VIDEO_COLUMNS = ['url', 'size', 'etag', 'sha256', 'frames', 'faststart', 'updated_at'] as const;

export function videoRow(video: VideoRecord, updatedAt: string): Record<(typeof VIDEO_COLUMNS)[number], unknown> {
  return { ...video, faststart: video.faststart === null ? null : video.faststart ? 1 : 0, updated_at: updatedAt };
}

/** `a, b, c` */
export const columnList = (columns: readonly string[]) => columns.join(', ');

export function claimFromRow(row: Row, won: boolean): Claim {
  return {
    name: row.name as string,
    workerHost: row.worker_host as string,
    workerPid: row.worker_pid as number,
    heartbeatAt: row.heartbeat_at as string,
    won,
  };
}
