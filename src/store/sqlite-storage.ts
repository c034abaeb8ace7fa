// Storage on one SQLite file (better-sqlite3): WAL so readers never block the writer, a busy timeout
// so two processes take turns, statements prepared once, every write committed at once. Writes that
// read before they write (trial numbers, claims, sweeps) run in IMMEDIATE transactions: the write
// lock is taken first, so concurrent processes take turns instead of racing. Times come from this
// host's clock: a SQLite file serves the processes of one host. better-sqlite3 is synchronous: each
// call runs to its end and its result is handed back as a settled promise, the shape of the Storage
// contract that asynchronous backends share.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { AutotuneError } from '../errors.js';
import { configKey, type Config } from '../search/index.js';
import {
  cannotOpen,
  finishedTrial,
  noStore,
  notAStore,
  staleReason,
  storeLocked,
  studyExists,
  unknownStudy,
  unknownStudyId,
  unknownTrial,
} from './errors.js';
import { migrate } from './migrate.js';
import type { OpenStorageOptions } from './options.js';
import {
  columnList,
  finiteOrNull,
  json,
  MEASUREMENT_COLUMNS,
  measurementFromRow,
  measurementRow,
  storedMeasurement,
  STUDY_COLUMNS,
  studyFromRow,
  studyRow,
  TRIAL_COLUMNS,
  trialFromRow,
  trialIdOf,
  trialRow,
  VIDEO_COLUMNS,
  claimFromRow,
  videoFromRow,
  videoRow,
  type Row,
} from './rows.js';
import type {
  Claim,
  MeasurementRecord,
  NewMeasurement,
  NewStudy,
  Phase,
  Storage,
  StudyDump,
  StudyRecord,
  TrialOutcome,
  TrialRecord,
  VideoRecord,
} from './types.js';
import { leftBehind, workerHost } from './worker.js';
import { makeDirs } from '../util/fs.js';

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Opens (creating the folder and the schema when needed) the SQLite store at `path`. */
export async function openSqliteStorage(path: string, options: OpenStorageOptions = {}): Promise<Storage> {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (options.mustExist && path !== ':memory:' && !existsSync(path)) throw noStore(path);
  return withStoreErrors(path, busyTimeoutMs, () => {
    if (path !== ':memory:') makeDirs(dirname(path), 'the folder of the results database');
    const db = new Database(path, { readonly: options.readonly ?? false, timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
      refuseForeign(db, path, options.mustExist === true);
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

/**
 * A file without autotune's schema is left as it is: another program's database (it has tables) is
 * refused, and a command that only reads finds no store in an empty one, instead of writing the
 * schema (and switching the file to WAL) into it.
 */
function refuseForeign(db: Database.Database, path: string, mustExist: boolean): void {
  if ((db.pragma('user_version', { simple: true }) as number) !== 0) return;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  if (tables.length > 0) throw notAStore(path, new Error(`it holds another program's tables: ${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', ...' : ''}`));
  if (mustExist) throw noStore(path);
}

const now = () => new Date().toISOString();
const named = (columns: readonly string[]) => columns.map((c) => `@${c}`).join(', ');
const UNFINISHED = { reason: null, value: null, feasible: false, violation: null, verdict: null, finishedAt: null } as const;

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
      insertStudy: db.prepare(`INSERT INTO studies (${columnList(STUDY_COLUMNS)}) VALUES (${named(STUDY_COLUMNS)})`),
      studyByName: db.prepare('SELECT * FROM studies WHERE name = ?'),
      studyById: db.prepare('SELECT id FROM studies WHERE id = ?'),
      allStudies: db.prepare('SELECT * FROM studies ORDER BY id'),
      updateStudy: db.prepare(
        'UPDATE studies SET settings_json = @settings, host_json = @host, net_probe_json = @netProbe, space_json = @space WHERE name = @name',
      ),
      runningTrials: db.prepare("SELECT * FROM trials WHERE study_id = ? AND state = 'RUNNING' ORDER BY number"),
      staleTrials: db.prepare(
        "SELECT * FROM trials WHERE study_id = ? AND state = 'RUNNING' AND COALESCE(heartbeat_at, started_at) < ? ORDER BY number",
      ),
      runningWithKey: db.prepare("SELECT id FROM trials WHERE study_id = ? AND state = 'RUNNING' AND config_key = ?"),
      nextNumber: db.prepare('SELECT COALESCE(MAX(number), -1) + 1 AS next FROM trials WHERE study_id = ?'),
      insertTrial: db.prepare(`INSERT INTO trials (${columnList(TRIAL_COLUMNS)}) VALUES (${named(TRIAL_COLUMNS)})`),
      heartbeat: db.prepare("UPDATE trials SET heartbeat_at = ? WHERE id = ? AND state = 'RUNNING'"),
      trialById: db.prepare('SELECT * FROM trials WHERE id = ?'),
      trialByNumber: db.prepare('SELECT * FROM trials WHERE study_id = ? AND number = ?'),
      trialsOfStudy: db.prepare('SELECT * FROM trials WHERE study_id = ? ORDER BY number'),
      trialsSince: db.prepare(
        'SELECT * FROM trials WHERE study_id = ? AND (number > ? OR id IN (SELECT value FROM json_each(?))) ORDER BY number',
      ),
      finishTrial: db.prepare(
        `UPDATE trials SET state = @state, reason = @reason, value = @value, feasible = @feasible,
           violation = @violation, verdict_json = @verdict, finished_at = @finishedAt
         WHERE id = @id AND state = 'RUNNING'`,
      ),
      insertMeasurement: db.prepare(`INSERT INTO measurements (${columnList(MEASUREMENT_COLUMNS)}) VALUES (${named(MEASUREMENT_COLUMNS)})`),
      measurementsOfTrial: db.prepare('SELECT * FROM measurements WHERE trial_id = ? ORDER BY id'),
      measurementsOfTrialPhase: db.prepare('SELECT * FROM measurements WHERE trial_id = ? AND phase = ? ORDER BY id'),
      measurementsOfStudy: db.prepare(
        'SELECT m.* FROM measurements m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = ? ORDER BY m.id',
      ),
      measurementsOfStudyAfter: db.prepare(
        'SELECT m.* FROM measurements m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = ? AND m.id > ? ORDER BY m.id',
      ),
      claimByName: db.prepare('SELECT * FROM claims WHERE study_id = ? AND name = ?'),
      putClaim: db.prepare(
        `INSERT INTO claims (study_id, name, worker_host, worker_pid, heartbeat_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (study_id, name) DO UPDATE SET worker_host = excluded.worker_host, worker_pid = excluded.worker_pid,
           heartbeat_at = excluded.heartbeat_at`,
      ),
      measurementsOfStudyPhase: db.prepare(
        'SELECT m.* FROM measurements m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = ? AND m.phase = ? ORDER BY m.id',
      ),
      upsertVideo: db.prepare(
        `INSERT INTO videos (${columnList(VIDEO_COLUMNS)}) VALUES (${named(VIDEO_COLUMNS)})
         ON CONFLICT (url) DO UPDATE SET size = excluded.size, etag = excluded.etag, sha256 = excluded.sha256,
           frames = excluded.frames, faststart = excluded.faststart, updated_at = excluded.updated_at`,
      ),
      videoByUrl: db.prepare('SELECT * FROM videos WHERE url = ?'),
      allVideos: db.prepare('SELECT * FROM videos ORDER BY url'),
      upsertReference: db.prepare(
        `INSERT INTO reference_answers (key, answer_json, created_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET answer_json = excluded.answer_json, created_at = excluded.created_at`,
      ),
      referenceByKey: db.prepare('SELECT answer_json FROM reference_answers WHERE key = ?'),
      referenceKeys: db.prepare('SELECT key FROM reference_answers ORDER BY key'),
    };
  }

  private guard<T>(fn: () => T): T {
    return withStoreErrors(this.path, this.busyTimeoutMs, fn);
  }

  /** fn in one IMMEDIATE transaction (the write lock taken before its first read). */
  private write<T>(fn: () => T): T {
    return this.guard(() => this.db.transaction(fn).immediate());
  }

  async createStudy(study: NewStudy): Promise<StudyRecord> {
    return this.write(() => this.insertStudy({ ...study, netProbe: study.netProbe ?? null, createdAt: now() }));
  }

  private insertStudy(study: Omit<StudyRecord, 'id'>): StudyRecord {
    if (this.stmt.studyByName.get(study.name)) throw studyExists(study.name, this.path);
    this.stmt.insertStudy.run(studyRow(study));
    return studyFromRow(this.stmt.studyByName.get(study.name) as Row);
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

  async updateStudy(name: string, patch: Partial<Pick<NewStudy, 'settings' | 'host' | 'netProbe' | 'space'>>): Promise<StudyRecord> {
    return this.write(() => {
      const current = this.studyByName(name);
      if (!current) throw unknownStudy(name, this.path);
      this.stmt.updateStudy.run({
        name,
        settings: json(patch.settings ?? current.settings),
        host: json(patch.host ?? current.host),
        netProbe: json(patch.netProbe === undefined ? current.netProbe : patch.netProbe),
        space: json(patch.space === undefined ? current.space : patch.space),
      });
      return this.studyByName(name)!;
    });
  }

  async failInterruptedTrials(studyId: number, reason: string): Promise<number[]> {
    return this.write(() =>
      (this.stmt.runningTrials.all(studyId) as Row[])
        .map(trialFromRow)
        .filter((trial) => leftBehind(trial, false))
        .filter((trial) => this.fail(trial.id, reason))
        .map((trial) => trial.number),
    );
  }

  async failStaleTrials(studyId: number, timeoutS: number): Promise<number[]> {
    const cutoff = new Date(Date.now() - timeoutS * 1000).toISOString();
    return this.write(() =>
      (this.stmt.staleTrials.all(studyId, cutoff) as Row[])
        .map(trialFromRow)
        .filter((trial) => this.fail(trial.id, staleReason(timeoutS, trial.workerHost, trial.workerPid)))
        .map((trial) => trial.number),
    );
  }

  /** Marks a RUNNING trial FAIL; false when it was no longer RUNNING. */
  private fail(trialId: number, reason: string): boolean {
    return this.finish(trialId, { state: 'FAIL', reason }) > 0;
  }

  private finish(trialId: number, outcome: TrialOutcome): number {
    return this.stmt.finishTrial.run({
      id: trialId,
      state: outcome.state,
      reason: outcome.reason ?? null,
      value: finiteOrNull(outcome.value),
      feasible: outcome.feasible ? 1 : 0,
      violation: finiteOrNull(outcome.violation),
      verdict: outcome.verdict ? json(outcome.verdict) : null,
      finishedAt: now(),
    }).changes;
  }

  async createTrial(studyId: number, init: { params: Config; baseline: string | null }): Promise<TrialRecord | null> {
    return this.write(() => {
      if (!this.stmt.studyById.get(studyId)) throw unknownStudyId(studyId, this.path);
      if (this.stmt.runningWithKey.get(studyId, configKey(init.params))) return null;
      const { next } = this.stmt.nextNumber.get(studyId) as { next: number };
      const startedAt = now();
      const info = this.stmt.insertTrial.run(
        trialRow(studyId, {
          ...UNFINISHED,
          number: next,
          params: init.params,
          baseline: init.baseline,
          state: 'RUNNING',
          workerHost: workerHost(),
          workerPid: process.pid,
          startedAt,
          heartbeatAt: startedAt,
        }),
      );
      return trialFromRow(this.stmt.trialById.get(info.lastInsertRowid) as Row);
    });
  }

  async heartbeat(trialId: number): Promise<boolean> {
    return this.guard(() => {
      if (this.stmt.heartbeat.run(now(), trialId).changes > 0) return true;
      if (!this.stmt.trialById.get(trialId)) throw unknownTrial(trialId, this.path);
      return false;
    });
  }

  async setTrialState(trialId: number, outcome: TrialOutcome): Promise<TrialRecord> {
    return this.guard(() => {
      const changes = this.finish(trialId, outcome);
      const row = this.stmt.trialById.get(trialId) as Row | undefined;
      if (!row) throw unknownTrial(trialId, this.path);
      const trial = trialFromRow(row);
      if (changes === 0) throw finishedTrial(trial, `set its state to ${outcome.state}`);
      return trial;
    });
  }

  async getTrial(studyId: number, number: number): Promise<TrialRecord | null> {
    return this.guard(() => {
      const row = this.stmt.trialByNumber.get(studyId, number) as Row | undefined;
      return row ? trialFromRow(row) : null;
    });
  }

  async listTrials(studyId: number, since?: { number: number; ids: readonly number[] }): Promise<TrialRecord[]> {
    return this.guard(() => {
      const rows = since ? this.stmt.trialsSince.all(studyId, since.number, JSON.stringify(since.ids)) : this.stmt.trialsOfStudy.all(studyId);
      return (rows as Row[]).map(trialFromRow);
    });
  }

  async addMeasurement(trialId: number, m: NewMeasurement): Promise<MeasurementRecord> {
    return this.write(() => {
      const row = this.stmt.trialById.get(trialId) as Row | undefined;
      if (!row) throw unknownTrial(trialId, this.path);
      const trial = trialFromRow(row);
      // A trial's own measurements are taken while it runs; the race and the control rounds measure finished ones.
      const allowed = m.phase === 'search' ? trial.state === 'RUNNING' : trial.state === 'COMPLETE';
      if (!allowed) throw finishedTrial(trial, `add a ${m.phase} measurement`);
      const createdAt = now();
      if (m.phase === 'search') this.stmt.heartbeat.run(createdAt, trialId);
      const info = this.stmt.insertMeasurement.run(measurementRow(trialId, m, createdAt));
      return { ...storedMeasurement(m), id: Number(info.lastInsertRowid), trialId, createdAt };
    });
  }

  async listMeasurements(filter: { studyId?: number; trialId?: number; phase?: Phase; afterId?: number }): Promise<MeasurementRecord[]> {
    return this.guard(() => {
      const { studyId, trialId, phase, afterId } = filter;
      let rows: Row[];
      if (afterId !== undefined) {
        if (studyId === undefined || trialId !== undefined || phase !== undefined) {
          throw new AutotuneError('E_INTERNAL', 'listMeasurements takes afterId with a studyId only');
        }
        rows = this.stmt.measurementsOfStudyAfter.all(studyId, afterId) as Row[];
      } else if (trialId !== undefined) {
        rows = (phase ? this.stmt.measurementsOfTrialPhase.all(trialId, phase) : this.stmt.measurementsOfTrial.all(trialId)) as Row[];
      } else if (studyId !== undefined) {
        rows = (phase ? this.stmt.measurementsOfStudyPhase.all(studyId, phase) : this.stmt.measurementsOfStudy.all(studyId)) as Row[];
      } else {
        throw new AutotuneError('E_INTERNAL', 'listMeasurements needs a studyId or a trialId');
      }
      return rows.map(measurementFromRow);
    });
  }

  async claim(studyId: number, name: string, staleAfterS: number): Promise<Claim> {
    return this.write(() => {
      if (!this.stmt.studyById.get(studyId)) throw unknownStudyId(studyId, this.path);
      const held = this.stmt.claimByName.get(studyId, name) as Row | undefined;
      const at = now();
      if (held) {
        const holder = claimFromRow(held, false);
        const cutoff = new Date(Date.now() - staleAfterS * 1000).toISOString();
        const mine = holder.workerHost === workerHost() && holder.workerPid === process.pid;
        if (!mine && !leftBehind(holder, false) && holder.heartbeatAt >= cutoff) return holder;
      }
      this.stmt.putClaim.run(studyId, name, workerHost(), process.pid, at);
      return { name, workerHost: workerHost(), workerPid: process.pid, heartbeatAt: at, won: true };
    });
  }

  async putVideo(video: VideoRecord): Promise<void> {
    this.guard(() => this.stmt.upsertVideo.run(videoRow(video, now())));
  }

  async getVideo(url: string): Promise<VideoRecord | null> {
    return this.guard(() => {
      const row = this.stmt.videoByUrl.get(url) as Row | undefined;
      return row ? videoFromRow(row) : null;
    });
  }

  async listVideos(): Promise<VideoRecord[]> {
    return this.guard(() => (this.stmt.allVideos.all() as Row[]).map(videoFromRow));
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

  async listReferenceKeys(): Promise<string[]> {
    return this.guard(() => (this.stmt.referenceKeys.all() as { key: string }[]).map((r) => r.key));
  }

  async importStudy(dump: StudyDump): Promise<StudyRecord> {
    return this.write(() => {
      const study = this.insertStudy(dump.study);
      const ids = new Map<number, number>();
      for (const trial of dump.trials) ids.set(trial.number, Number(this.stmt.insertTrial.run(trialRow(study.id, trial)).lastInsertRowid));
      for (const m of dump.measurements) this.stmt.insertMeasurement.run(measurementRow(trialIdOf(ids, m.trialNumber), m, m.createdAt));
      return study;
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
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
