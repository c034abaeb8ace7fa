// The schema as ordered migrations; `PRAGMA user_version` holds the number of the last one applied.
// Append new migrations; never edit a released one.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'studies, trials, measurements, videos, reference answers',
    sql: `
      CREATE TABLE studies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        space_file TEXT NOT NULL,
        space_json TEXT NOT NULL,
        objective_json TEXT NOT NULL,
        settings_json TEXT NOT NULL,
        host_json TEXT NOT NULL,
        net_probe_json TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE trials (
        id INTEGER PRIMARY KEY,
        study_id INTEGER NOT NULL REFERENCES studies(id),
        number INTEGER NOT NULL,
        params_json TEXT NOT NULL,
        baseline TEXT,
        state TEXT NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'FAIL', 'PRUNED')),
        reason TEXT,
        value REAL,
        feasible INTEGER NOT NULL DEFAULT 0,
        violation REAL,
        worker_host TEXT NOT NULL,
        worker_pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (study_id, number)
      );
      CREATE TABLE measurements (
        id INTEGER PRIMARY KEY,
        trial_id INTEGER NOT NULL REFERENCES trials(id),
        video_url TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        phase TEXT NOT NULL CHECK (phase IN ('search', 'confirm')),
        connected REAL,
        first_byte REAL,
        download_end REAL,
        decoder_start REAL,
        first_frame REAL,
        first_batch REAL,
        last_frame REAL,
        total REAL,
        bytes INTEGER NOT NULL,
        protocol TEXT,
        frames_decoded INTEGER NOT NULL,
        frames_answered INTEGER NOT NULL,
        frames_in_video INTEGER,
        accuracy REAL,
        coverage REAL,
        truth_f1 REAL,
        sn44 REAL,
        provider TEXT,
        decoder TEXT,
        error_reason TEXT,
        error_message TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX measurements_by_trial ON measurements(trial_id, phase);
      CREATE TABLE videos (
        url TEXT PRIMARY KEY,
        size INTEGER,
        etag TEXT,
        sha256 TEXT,
        frames INTEGER,
        faststart INTEGER,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE reference_answers (
        key TEXT PRIMARY KEY,
        answer_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'control measurements (phase control); why each trial stopped measuring (verdict)',
    // SQLite cannot change a CHECK constraint in place: the measurements table is rebuilt.
    sql: `
      ALTER TABLE trials ADD COLUMN verdict_json TEXT;
      CREATE TABLE measurements_v2 (
        id INTEGER PRIMARY KEY,
        trial_id INTEGER NOT NULL REFERENCES trials(id),
        video_url TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        phase TEXT NOT NULL CHECK (phase IN ('search', 'confirm', 'control')),
        connected REAL,
        first_byte REAL,
        download_end REAL,
        decoder_start REAL,
        first_frame REAL,
        first_batch REAL,
        last_frame REAL,
        total REAL,
        bytes INTEGER NOT NULL,
        protocol TEXT,
        frames_decoded INTEGER NOT NULL,
        frames_answered INTEGER NOT NULL,
        frames_in_video INTEGER,
        accuracy REAL,
        coverage REAL,
        truth_f1 REAL,
        sn44 REAL,
        provider TEXT,
        decoder TEXT,
        error_reason TEXT,
        error_message TEXT,
        created_at TEXT NOT NULL
      );
      INSERT INTO measurements_v2 (id, trial_id, video_url, repeat, phase, connected, first_byte, download_end, decoder_start, first_frame, first_batch, last_frame, total, bytes, protocol, frames_decoded, frames_answered, frames_in_video, accuracy, coverage, truth_f1, sn44, provider, decoder, error_reason, error_message, created_at)
        SELECT id, trial_id, video_url, repeat, phase, connected, first_byte, download_end, decoder_start, first_frame, first_batch, last_frame, total, bytes, protocol, frames_decoded, frames_answered, frames_in_video, accuracy, coverage, truth_f1, sn44, provider, decoder, error_reason, error_message, created_at FROM measurements;
      DROP TABLE measurements;
      ALTER TABLE measurements_v2 RENAME TO measurements;
      CREATE INDEX measurements_by_trial ON measurements(trial_id, phase);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
