// Storage on a PostgreSQL database (node-postgres), for a fleet of hosts sharing studies. Every time
// it records comes from the server's clock, so hosts whose clocks disagree still agree on which
// heartbeat is stale. Trial creation locks the study's row: creators of one study take turns, and the
// claim (one RUNNING trial per config) is checked under that lock. Stale sweeps lock the trials they
// fail and skip those another worker holds, so each stale trial is failed once.

import { AutotuneError } from '../../errors.js';
import { configKey, type Config } from '../../search/index.js';
import { finishedTrial, staleReason, studyExists, unknownStudy, unknownStudyId, unknownTrial } from '../errors.js';
import type { OpenStorageOptions } from '../options.js';
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
} from '../rows.js';
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
} from '../types.js';
import { leftBehind, workerHost } from '../worker.js';
import { DEFAULT_RETRY_FOR_MS, PgConnection, type PostgresLocation, type Query, type Row } from './connection.js';
import { migratePostgres } from './migrate.js';

/** The server's clock as an ISO-8601 UTC text, the form every time in the store has. */
const isoOf = (timestamp: string) => `to_char((${timestamp}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const NOW = isoOf('clock_timestamp()');
/**
 * Any constant: with a study's id, the advisory lock that a measurement's insert holds until its
 * COMMIT, so a study's measurement ids become visible in order (readers page on with afterId).
 */
const MEASUREMENT_ORDER_LOCK = 0x4d454153;
/** Rows per INSERT when a study is imported. */
const CHUNK = 200;

export async function openPostgresStorage(location: PostgresLocation, options: OpenStorageOptions = {}): Promise<Storage> {
  const connection = await PgConnection.open(location, options.retryForMs ?? DEFAULT_RETRY_FOR_MS, (query) =>
    migratePostgres(query, location.display, options.mustExist ?? false),
  );
  return new PostgresStorage(connection);
}

const placeholders = (count: number, from = 1) => Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');

/** INSERT of many rows in chunks; the returned rows in order. */
async function insertRows(query: Query, table: string, columns: readonly string[], rows: Record<string, unknown>[], returning = ''): Promise<Row[]> {
  const out: Row[] = [];
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const values = chunk.flatMap((row) => columns.map((c) => row[c]));
    const tuples = chunk.map((_, i) => `(${placeholders(columns.length, i * columns.length + 1)})`).join(', ');
    out.push(...(await query(`INSERT INTO ${table} (${columnList(columns)}) VALUES ${tuples}${returning ? ` RETURNING ${returning}` : ''}`, values)));
  }
  return out;
}

class PostgresStorage implements Storage {
  readonly path: string;
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
    this.path = db.location.display;
  }

  async createStudy(study: NewStudy): Promise<StudyRecord> {
    return this.db.transaction(async (query) => {
      const [now] = await query(`SELECT ${NOW} AS now`);
      return this.insertStudy(query, { ...study, netProbe: study.netProbe ?? null, createdAt: now!.now as string });
    });
  }

  /** ON CONFLICT waits for a concurrent creator of the same name, then inserts nothing. */
  private async insertStudy(query: Query, study: Omit<StudyRecord, 'id'>): Promise<StudyRecord> {
    const row = studyRow(study);
    const [inserted] = await query(
      `INSERT INTO studies (${columnList(STUDY_COLUMNS)}) VALUES (${placeholders(STUDY_COLUMNS.length)})
       ON CONFLICT (name) DO NOTHING RETURNING *`,
      STUDY_COLUMNS.map((c) => row[c]),
    );
    if (!inserted) throw studyExists(study.name, this.path);
    return studyFromRow(inserted);
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    const [row] = await this.db.run('SELECT * FROM studies WHERE name = $1', [name]);
    return row ? studyFromRow(row) : null;
  }

  async listStudies(): Promise<StudyRecord[]> {
    return (await this.db.run('SELECT * FROM studies ORDER BY id')).map(studyFromRow);
  }

  async updateStudy(name: string, patch: Partial<Pick<NewStudy, 'settings' | 'host' | 'netProbe' | 'space'>>): Promise<StudyRecord> {
    return this.db.transaction(async (query) => {
      const [row] = await query('SELECT * FROM studies WHERE name = $1 FOR UPDATE', [name]);
      if (!row) throw unknownStudy(name, this.path);
      const current = studyFromRow(row);
      const [updated] = await query('UPDATE studies SET settings_json = $2, host_json = $3, net_probe_json = $4, space_json = $5 WHERE id = $1 RETURNING *', [
        current.id,
        json(patch.settings ?? current.settings),
        json(patch.host ?? current.host),
        json(patch.netProbe === undefined ? current.netProbe : patch.netProbe),
        json(patch.space === undefined ? current.space : patch.space),
      ]);
      return studyFromRow(updated!);
    });
  }

  async failInterruptedTrials(studyId: number, reason: string): Promise<number[]> {
    return this.db.transaction(async (query) => {
      const mine = await query(
        "SELECT * FROM trials WHERE study_id = $1 AND state = 'RUNNING' AND worker_host = $2 ORDER BY number FOR UPDATE SKIP LOCKED",
        [studyId, workerHost()],
      );
      const marked: number[] = [];
      for (const trial of mine.map(trialFromRow).filter((trial) => leftBehind(trial, true))) {
        if (await this.fail(query, trial.id, reason)) marked.push(trial.number);
      }
      return marked;
    });
  }

  async failStaleTrials(studyId: number, timeoutS: number): Promise<number[]> {
    return this.db.transaction(async (query) => {
      const stale = await query(
        `SELECT * FROM trials WHERE study_id = $1 AND state = 'RUNNING'
           AND COALESCE(heartbeat_at, started_at) < ${isoOf('clock_timestamp() - make_interval(secs => $2::float8)')}
         ORDER BY number FOR UPDATE SKIP LOCKED`,
        [studyId, timeoutS],
      );
      const marked: number[] = [];
      for (const trial of stale.map(trialFromRow)) {
        if (await this.fail(query, trial.id, staleReason(timeoutS, trial.workerHost, trial.workerPid))) marked.push(trial.number);
      }
      return marked;
    });
  }

  private async fail(query: Query, trialId: number, reason: string): Promise<boolean> {
    return (await this.finish(query, trialId, { state: 'FAIL', reason })) !== null;
  }

  /** Finishes a RUNNING trial; null when it was not RUNNING. */
  private async finish(query: Query, trialId: number, outcome: TrialOutcome): Promise<Row | null> {
    const [row] = await query(
      `UPDATE trials SET state = $2, reason = $3, value = $4, feasible = $5, violation = $6, verdict_json = $7, finished_at = ${NOW}
       WHERE id = $1 AND state = 'RUNNING' RETURNING *`,
      [
        trialId,
        outcome.state,
        outcome.reason ?? null,
        finiteOrNull(outcome.value),
        outcome.feasible ? 1 : 0,
        finiteOrNull(outcome.violation),
        outcome.verdict ? json(outcome.verdict) : null,
      ],
    );
    return row ?? null;
  }

  async createTrial(studyId: number, init: { params: Config; baseline: string | null }): Promise<TrialRecord | null> {
    const key = configKey(init.params);
    return this.db.transaction(async (query) => {
      // The study's row lock: creators of this study take turns from here to COMMIT.
      const [study] = await query('SELECT id FROM studies WHERE id = $1 FOR UPDATE', [studyId]);
      if (!study) throw unknownStudyId(studyId, this.path);
      // The claim, the next number and the start time in one statement, under the lock (so a config's
      // trials never seem to overlap in time).
      const [{ taken, next, now }] = (await query(
        `SELECT EXISTS (SELECT 1 FROM trials WHERE study_id = $1 AND state = 'RUNNING' AND config_key = $2) AS taken,
           (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = $1) AS next, ${NOW} AS now`,
        [studyId, key],
      )) as [{ taken: boolean; next: number; now: string }];
      if (taken) return null;
      const startedAt = now;
      const row = trialRow(studyId, {
        number: next,
        params: init.params,
        baseline: init.baseline,
        state: 'RUNNING',
        reason: null,
        value: null,
        feasible: false,
        violation: null,
        verdict: null,
        workerHost: workerHost(),
        workerPid: process.pid,
        startedAt,
        finishedAt: null,
        heartbeatAt: startedAt,
      });
      const [inserted] = await insertRows(query, 'trials', TRIAL_COLUMNS, [row], '*');
      return trialFromRow(inserted!);
    });
  }

  async heartbeat(trialId: number): Promise<boolean> {
    const [row] = await this.db.run(
      `UPDATE trials SET heartbeat_at = ${NOW} WHERE id = $1 AND state = 'RUNNING' RETURNING id`,
      [trialId],
    );
    if (row) return true;
    const [exists] = await this.db.run('SELECT id FROM trials WHERE id = $1', [trialId]);
    if (!exists) throw unknownTrial(trialId, this.path);
    return false;
  }

  async setTrialState(trialId: number, outcome: TrialOutcome): Promise<TrialRecord> {
    return this.db.transaction(async (query) => {
      const finished = await this.finish(query, trialId, outcome);
      if (finished) return trialFromRow(finished);
      const [row] = await query('SELECT * FROM trials WHERE id = $1', [trialId]);
      if (!row) throw unknownTrial(trialId, this.path);
      throw finishedTrial(trialFromRow(row), `set its state to ${outcome.state}`);
    });
  }

  async getTrial(studyId: number, number: number): Promise<TrialRecord | null> {
    const [row] = await this.db.run('SELECT * FROM trials WHERE study_id = $1 AND number = $2', [studyId, number]);
    return row ? trialFromRow(row) : null;
  }

  async listTrials(studyId: number, since?: { number: number; ids: readonly number[] }): Promise<TrialRecord[]> {
    const rows = since
      ? await this.db.run('SELECT * FROM trials WHERE study_id = $1 AND (number > $2 OR id = ANY($3::int[])) ORDER BY number', [
          studyId,
          since.number,
          [...since.ids],
        ])
      : await this.db.run('SELECT * FROM trials WHERE study_id = $1 ORDER BY number', [studyId]);
    return rows.map(trialFromRow);
  }

  async addMeasurement(trialId: number, m: NewMeasurement): Promise<MeasurementRecord> {
    return this.db.transaction(async (query) => {
      // The trial's row lock (a stale sweep skips it, a state change waits, until this measurement is
      // in), taken by an update that is the heartbeat of a search measurement and a no-op otherwise.
      const [row] = await query(
        `UPDATE trials SET heartbeat_at = CASE WHEN $2 AND state = 'RUNNING' THEN ${NOW} ELSE heartbeat_at END WHERE id = $1
         RETURNING *, ${NOW} AS now`,
        [trialId, m.phase === 'search'],
      );
      if (!row) throw unknownTrial(trialId, this.path);
      const trial = trialFromRow(row);
      const allowed = m.phase === 'search' ? trial.state === 'RUNNING' : trial.state === 'COMPLETE';
      if (!allowed) throw finishedTrial(trial, `add a ${m.phase} measurement`);
      const createdAt = row.now as string;
      // The study's measurement-order lock (see MEASUREMENT_ORDER_LOCK) is taken by the insert itself,
      // so it is held only from the id's draw to COMMIT.
      const values = measurementRow(trialId, m, createdAt);
      const [inserted] = await query(
        `WITH ordered AS (SELECT pg_advisory_xact_lock($1, $2))
         INSERT INTO measurements (${columnList(MEASUREMENT_COLUMNS)}) SELECT ${placeholders(MEASUREMENT_COLUMNS.length, 3)} FROM ordered RETURNING id`,
        [MEASUREMENT_ORDER_LOCK, trial.studyId, ...MEASUREMENT_COLUMNS.map((c) => values[c])],
      );
      return { ...storedMeasurement(m), id: inserted!.id as number, trialId, createdAt };
    });
  }

  async listMeasurements(filter: { studyId?: number; trialId?: number; phase?: Phase; afterId?: number }): Promise<MeasurementRecord[]> {
    const { studyId, trialId, phase, afterId } = filter;
    const byPhase = phase ? ' AND m.phase = $2' : '';
    let rows: Row[];
    if (afterId !== undefined) {
      if (studyId === undefined || trialId !== undefined || phase !== undefined) {
        throw new AutotuneError('E_INTERNAL', 'listMeasurements takes afterId with a studyId only');
      }
      rows = await this.db.run(
        'SELECT m.* FROM measurements m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = $1 AND m.id > $2 ORDER BY m.id',
        [studyId, afterId],
      );
    } else if (trialId !== undefined) {
      rows = await this.db.run(`SELECT m.* FROM measurements m WHERE m.trial_id = $1${byPhase} ORDER BY m.id`, phase ? [trialId, phase] : [trialId]);
    } else if (studyId !== undefined) {
      rows = await this.db.run(
        `SELECT m.* FROM measurements m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = $1${byPhase} ORDER BY m.id`,
        phase ? [studyId, phase] : [studyId],
      );
    } else {
      throw new AutotuneError('E_INTERNAL', 'listMeasurements needs a studyId or a trialId');
    }
    return rows.map(measurementFromRow);
  }

  async claim(studyId: number, name: string, staleAfterS: number): Promise<Claim> {
    return this.db.transaction(async (query) => {
      const [study] = await query(`SELECT id, ${NOW} AS now FROM studies WHERE id = $1`, [studyId]);
      if (!study) throw unknownStudyId(studyId, this.path);
      // Inserts, or waits for a concurrent claimer of the same name and then locks its row.
      await query(
        `INSERT INTO claims (study_id, name, worker_host, worker_pid, heartbeat_at) VALUES ($1, $2, $3, $4, ${NOW})
         ON CONFLICT (study_id, name) DO NOTHING`,
        [studyId, name, workerHost(), process.pid],
      );
      const [held] = await query(
        `SELECT *, heartbeat_at < ${isoOf('clock_timestamp() - make_interval(secs => $3::float8)')} AS stale
         FROM claims WHERE study_id = $1 AND name = $2 FOR UPDATE`,
        [studyId, name, staleAfterS],
      );
      const holder = claimFromRow(held!, false);
      const mine = holder.workerHost === workerHost() && holder.workerPid === process.pid;
      if (!mine && !leftBehind(holder, true) && held!.stale !== true) return holder;
      const [taken] = await query(
        `UPDATE claims SET worker_host = $3, worker_pid = $4, heartbeat_at = ${NOW} WHERE study_id = $1 AND name = $2 RETURNING *`,
        [studyId, name, workerHost(), process.pid],
      );
      return claimFromRow(taken!, true);
    });
  }

  async putVideo(video: VideoRecord): Promise<void> {
    const row = videoRow(video, new Date().toISOString());
    await this.db.run(
      `INSERT INTO videos (${columnList(VIDEO_COLUMNS)}) VALUES (${placeholders(VIDEO_COLUMNS.length)})
       ON CONFLICT (url) DO UPDATE SET size = excluded.size, etag = excluded.etag, sha256 = excluded.sha256,
         frames = excluded.frames, faststart = excluded.faststart, updated_at = excluded.updated_at`,
      VIDEO_COLUMNS.map((c) => row[c]),
    );
  }

  async getVideo(url: string): Promise<VideoRecord | null> {
    const [row] = await this.db.run('SELECT * FROM videos WHERE url = $1', [url]);
    return row ? videoFromRow(row) : null;
  }

  async listVideos(): Promise<VideoRecord[]> {
    return (await this.db.run('SELECT * FROM videos ORDER BY url')).map(videoFromRow);
  }

  async putReference(key: string, answer: unknown): Promise<void> {
    await this.db.run(
      `INSERT INTO reference_answers (key, answer_json, created_at) VALUES ($1, $2, ${NOW})
       ON CONFLICT (key) DO UPDATE SET answer_json = excluded.answer_json, created_at = excluded.created_at`,
      [key, json(answer)],
    );
  }

  async getReference(key: string): Promise<unknown | null> {
    const [row] = await this.db.run('SELECT answer_json FROM reference_answers WHERE key = $1', [key]);
    return row ? JSON.parse(row.answer_json as string) : null;
  }

  async listReferenceKeys(): Promise<string[]> {
    return (await this.db.run('SELECT key FROM reference_answers ORDER BY key')).map((r) => r.key as string);
  }

  async importStudy(dump: StudyDump): Promise<StudyRecord> {
    return this.db.transaction(async (query) => {
      const study = await this.insertStudy(query, dump.study);
      const inserted = await insertRows(query, 'trials', TRIAL_COLUMNS, dump.trials.map((t) => trialRow(study.id, t)), 'id, number');
      const ids = new Map(inserted.map((r) => [r.number as number, r.id as number]));
      await insertRows(query, 'measurements', MEASUREMENT_COLUMNS, dump.measurements.map((m) => measurementRow(trialIdOf(ids, m.trialNumber), m, m.createdAt)));
      return study;
    });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
