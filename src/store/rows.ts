// Row <-> record mapping for the SQLite tables.

import type { FailureReason, Protocol } from '../pipeline/types.js';
import type { MeasurementRecord, ObjectiveSpec, Phase, StudyRecord, TrialRecord, TrialState } from './types.js';

export type Row = Record<string, unknown>;

const parse = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : null);

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
  };
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
    createdAt: row.created_at as string,
  };
}
