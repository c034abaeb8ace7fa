// Storage on one SQLite file (better-sqlite3): WAL so readers never block the writer, a busy timeout
// so two processes take turns, statements prepared once, every write committed at once. better-sqlite3
// is synchronous: each call runs to its end (transactions included) and its result is handed back as a
// settled promise, the shape of the Storage contract that asynchronous backends share.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { AutotuneError } from '../errors.js';
import type { Config } from '../search/index.js';
import { cannotOpen, finishedTrial, noStore, notAStore, storeLocked, studyExists, unknownStudy, unknownTrial } from './errors.js';
import { migrate } from './migrate.js';
import { measurementFromRow, studyFromRow, trialFromRow, type Row } from './rows.js';
import type {
  MeasurementRecord,
  NewMeasurement,
  NewStudy,
  Phase,
  Storage,
  StudyRecord,
  TrialOutcome,
  TrialRecord,
  VideoRecord,
} from './types.js';
import { makeDirs } from '../util/fs.js';

export const DEFAULT_DB_PATH = 'results/autotune.db';
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface OpenStorageOptions {
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** For commands that only read results: a missing file is an error, not a new empty store. */
  mustExist?: boolean;
}

/** Opens (creating the folder and the schema when needed) the store at `path`. */
export async function openStorage(path: string = DEFAULT_DB_PATH, options: OpenStorageOptions = {}): Promise<Storage> {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (options.mustExist && path !== ':memory:' && !existsSync(path)) throw noStore(path);
  return withStoreErrors(path, busyTimeoutMs, () => {
    if (path !== ':memory:') makeDirs(dirname(path), 'the folder of the results database');
    const db = new Database(path, { readonly: options.readonly ?? false, timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
      migrate(db, path);
      return new SqliteStorage(db, path, busyTimeoutMs);
    } catch (err) {
      db.close();
      throw err;
    }
  });
}

const now = () => new Date().toISOString();
const json = (value: unknown) => JSON.stringify(value ?? null);

class SqliteStorage implements Storage {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly busyTimeoutMs: number;
  private readonly stmt;

  constructor(db: Database.Database, path: string, busyTimeoutMs: number) {
    this.db = db;
    this.path = path;
    this.busyTimeoutMs = busyTimeoutMs;
    this.stmt = {
      insertStudy: db.prepare(
        `INSERT INTO studies (name, space_file, space_json, objective_json, settings_json, host_json, net_probe_json, created_at)
         VALUES (@name, @spaceFile, @space, @objective, @settings, @host, @netProbe, @createdAt)`,
      ),
      studyByName: db.prepare('SELECT * FROM studies WHERE name = ?'),
      allStudies: db.prepare('SELECT * FROM studies ORDER BY id'),
      updateStudy: db.prepare(
        'UPDATE studies SET settings_json = @settings, host_json = @host, net_probe_json = @netProbe WHERE name = @name',
      ),
      runningTrials: db.prepare("SELECT * FROM trials WHERE study_id = ? AND state = 'RUNNING' ORDER BY number"),
      nextNumber: db.prepare('SELECT COALESCE(MAX(number), -1) + 1 AS next FROM trials WHERE study_id = ?'),
      insertTrial: db.prepare(
        `INSERT INTO trials (study_id, number, params_json, baseline, state, worker_host, worker_pid, started_at)
         VALUES (@studyId, @number, @params, @baseline, 'RUNNING', @host, @pid, @startedAt)`,
      ),
      trialById: db.prepare('SELECT * FROM trials WHERE id = ?'),
      trialByNumber: db.prepare('SELECT * FROM trials WHERE study_id = ? AND number = ?'),
      trialsOfStudy: db.prepare('SELECT * FROM trials WHERE study_id = ? ORDER BY number'),
      finishTrial: db.prepare(
        `UPDATE trials SET state = @state, reason = @reason, value = @value, feasible = @feasible,
           violation = @violation, verdict_json = @verdict, finished_at = @finishedAt
         WHERE id = @id AND state = 'RUNNING'`,
      ),
      insertMeasurement: db.prepare(
        `INSERT INTO measurements (trial_id, video_url, repeat, phase, connected, first_byte, download_end,
           decoder_start, first_frame, first_batch, last_frame, total, bytes, protocol, frames_decoded,
           frames_answered, frames_in_video, accuracy, coverage, truth_f1, sn44, provider, decoder,
           error_reason, error_message, created_at)
         VALUES (@trialId, @videoUrl, @repeat, @phase, @connected, @firstByte, @downloadEnd, @decoderStart,
           @firstFrame, @firstBatch, @lastFrame, @total, @bytes, @protocol, @framesDecoded, @framesAnswered,
           @framesInVideo, @accuracy, @coverage, @truthF1, @sn44, @provider, @decoder, @errorReason,
           @errorMessage, @createdAt)`,
      ),
      measurementsOfTrial: db.prepare('SELECT * FROM measurements WHERE trial_id = ? ORDER BY id'),
      measurementsOfTrialPhase: db.prepare('SELECT * FROM measurements WHERE trial_id = ? AND phase = ? ORDER BY id'),
      measurementsOfStudy: db.prepare(
        'SELECT m.* FROM measurements m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = ? ORDER BY m.id',
      ),
      measurementsOfStudyPhase: db.prepare(
        'SELECT m.* FROM measurements m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = ? AND m.phase = ? ORDER BY m.id',
      ),
      upsertVideo: db.prepare(
        `INSERT INTO videos (url, size, etag, sha256, frames, faststart, updated_at)
         VALUES (@url, @size, @etag, @sha256, @frames, @faststart, @updatedAt)
         ON CONFLICT (url) DO UPDATE SET size = excluded.size, etag = excluded.etag, sha256 = excluded.sha256,
           frames = excluded.frames, faststart = excluded.faststart, updated_at = excluded.updated_at`,
      ),
      videoByUrl: db.prepare('SELECT * FROM videos WHERE url = ?'),
      upsertReference: db.prepare(
        `INSERT INTO reference_answers (key, answer_json, created_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET answer_json = excluded.answer_json, created_at = excluded.created_at`,
      ),
      referenceByKey: db.prepare('SELECT answer_json FROM reference_answers WHERE key = ?'),
    };
  }

  private guard<T>(fn: () => T): T {
    return withStoreErrors(this.path, this.busyTimeoutMs, fn);
  }

  async createStudy(study: NewStudy): Promise<StudyRecord> {
    return this.guard(() => {
      if (this.stmt.studyByName.get(study.name)) throw studyExists(study.name, this.path);
      this.stmt.insertStudy.run({
        name: study.name,
        spaceFile: study.spaceFile,
        space: json(study.space),
        objective: json(study.objective),
        settings: json(study.settings),
        host: json(study.host),
        netProbe: json(study.netProbe ?? null),
        createdAt: now(),
      });
      return studyFromRow(this.stmt.studyByName.get(study.name) as Row);
    });
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.guard(() => this.studyByName(name));
  }

  private studyByName(name: string): StudyRecord | null {
    const row = this.stmt.studyByName.get(name) as Row | undefined;
    return row ? studyFromRow(row) : null;
  }

  async listStudies(): Promise<StudyRecord[]> {
    return this.guard(() => (this.stmt.allStudies.all() as Row[]).map(studyFromRow));
  }

  async updateStudy(name: string, patch: Partial<Pick<NewStudy, 'settings' | 'host' | 'netProbe'>>): Promise<StudyRecord> {
    return this.guard(() => {
      const current = this.studyByName(name);
      if (!current) throw unknownStudy(name, this.path);
      this.stmt.updateStudy.run({
        name,
        settings: json(patch.settings ?? current.settings),
        host: json(patch.host ?? current.host),
        netProbe: json(patch.netProbe === undefined ? current.netProbe : patch.netProbe),
      });
      return this.studyByName(name)!;
    });
  }

  async failInterruptedTrials(studyId: number, reason: string): Promise<number[]> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const marked: number[] = [];
          for (const row of this.stmt.runningTrials.all(studyId) as Row[]) {
            const trial = trialFromRow(row);
            if (isLiveElsewhere(trial)) continue;
            this.stmt.finishTrial.run({
              id: trial.id,
              state: 'FAIL',
              reason,
              value: null,
              feasible: 0,
              violation: null,
              verdict: null,
              finishedAt: now(),
            });
            marked.push(trial.number);
          }
          return marked;
        })
        .immediate(),
    );
  }

  async createTrial(studyId: number, init: { params: Config; baseline: string | null }): Promise<TrialRecord> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const { next } = this.stmt.nextNumber.get(studyId) as { next: number };
          const info = this.stmt.insertTrial.run({
            studyId,
            number: next,
            params: json(init.params),
            baseline: init.baseline,
            host: hostname(),
            pid: process.pid,
            startedAt: now(),
          });
          return trialFromRow(this.stmt.trialById.get(info.lastInsertRowid) as Row);
        })
        .immediate(),
    );
  }

  async setTrialState(trialId: number, outcome: TrialOutcome): Promise<TrialRecord> {
    return this.guard(() => {
      const info = this.stmt.finishTrial.run({
        id: trialId,
        state: outcome.state,
        reason: outcome.reason ?? null,
        value: finiteOrNull(outcome.value),
        feasible: outcome.feasible ? 1 : 0,
        violation: finiteOrNull(outcome.violation),
        verdict: outcome.verdict ? json(outcome.verdict) : null,
        finishedAt: now(),
      });
      const row = this.stmt.trialById.get(trialId) as Row | undefined;
      if (!row) throw unknownTrial(trialId, this.path);
      const trial = trialFromRow(row);
      if (info.changes === 0) throw finishedTrial(trial, `set its state to ${outcome.state}`);
      return trial;
    });
  }

  async getTrial(studyId: number, number: number): Promise<TrialRecord | null> {
    return this.guard(() => {
      const row = this.stmt.trialByNumber.get(studyId, number) as Row | undefined;
      return row ? trialFromRow(row) : null;
    });
  }

  async listTrials(studyId: number): Promise<TrialRecord[]> {
    return this.guard(() => (this.stmt.trialsOfStudy.all(studyId) as Row[]).map(trialFromRow));
  }

  async addMeasurement(trialId: number, m: NewMeasurement): Promise<MeasurementRecord> {
    return this.guard(() => {
      const row = this.stmt.trialById.get(trialId) as Row | undefined;
      if (!row) throw unknownTrial(trialId, this.path);
      const trial = trialFromRow(row);
      // A trial's own measurements are taken while it runs; the race and the control rounds measure finished ones.
      const allowed = m.phase === 'search' ? trial.state === 'RUNNING' : trial.state === 'COMPLETE';
      if (!allowed) throw finishedTrial(trial, `add a ${m.phase} measurement`);
      const createdAt = now();
      const info = this.stmt.insertMeasurement.run({
        trialId,
        videoUrl: m.videoUrl,
        repeat: m.repeat,
        phase: m.phase,
        ...m.timeline,
        bytes: m.bytes,
        protocol: m.protocol,
        framesDecoded: m.framesDecoded,
        framesAnswered: m.framesAnswered,
        framesInVideo: m.framesInVideo,
        accuracy: finiteOrNull(m.accuracy),
        coverage: finiteOrNull(m.coverage),
        truthF1: finiteOrNull(m.truthF1),
        sn44: finiteOrNull(m.sn44),
        provider: m.provider,
        decoder: m.decoder,
        errorReason: m.error?.reason ?? null,
        errorMessage: m.error?.message ?? null,
        createdAt,
      });
      return {
        ...m,
        accuracy: finiteOrNull(m.accuracy),
        coverage: finiteOrNull(m.coverage),
        truthF1: finiteOrNull(m.truthF1),
        sn44: finiteOrNull(m.sn44),
        id: Number(info.lastInsertRowid),
        trialId,
        createdAt,
      };
    });
  }

  async listMeasurements(filter: { studyId?: number; trialId?: number; phase?: Phase }): Promise<MeasurementRecord[]> {
    return this.guard(() => {
      const { studyId, trialId, phase } = filter;
      let rows: Row[];
      if (trialId !== undefined) {
        rows = (phase ? this.stmt.measurementsOfTrialPhase.all(trialId, phase) : this.stmt.measurementsOfTrial.all(trialId)) as Row[];
      } else if (studyId !== undefined) {
        rows = (phase ? this.stmt.measurementsOfStudyPhase.all(studyId, phase) : this.stmt.measurementsOfStudy.all(studyId)) as Row[];
      } else {
        throw new AutotuneError('E_INTERNAL', 'listMeasurements needs a studyId or a trialId');
      }
      return rows.map(measurementFromRow);
    });
  }

  async putVideo(video: VideoRecord): Promise<void> {
    this.guard(() =>
      this.stmt.upsertVideo.run({
        ...video,
        faststart: video.faststart === null ? null : video.faststart ? 1 : 0,
        updatedAt: now(),
      }),
    );
  }

  async getVideo(url: string): Promise<VideoRecord | null> {
    return this.guard(() => {
      const row = this.stmt.videoByUrl.get(url) as Row | undefined;
      if (!row) return null;
      return {
        url: row.url as string,
        size: row.size as number | null,
        etag: row.etag as string | null,
        sha256: row.sha256 as string | null,
        frames: row.frames as number | null,
        faststart: row.faststart === null ? null : row.faststart === 1,
      };
    });
  }

  async putReference(key: string, answer: unknown): Promise<void> {
    this.guard(() => this.stmt.upsertReference.run(key, json(answer), now()));
  }

  async getReference(key: string): Promise<unknown | null> {
    return this.guard(() => {
      const row = this.stmt.referenceByKey.get(key) as { answer_json: string } | undefined;
      return row ? JSON.parse(row.answer_json) : null;
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A RUNNING trial owned by another live process on this host is not interrupted: it is still running. */
function isLiveElsewhere(trial: TrialRecord): boolean {
  if (trial.workerHost !== hostname() || trial.workerPid === process.pid) return false;
  try {
    process.kill(trial.workerPid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Maps SQLite's result codes onto the store's errors (see errors.ts), naming the file. */
function withStoreErrors<T>(path: string, busyTimeoutMs: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AutotuneError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) throw storeLocked(path, busyTimeoutMs, err);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw notAStore(path, err);
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') throw cannotOpen(path, err);
    throw err;
  }
}
