// What a command asks of the store it opens, for every backend.

export interface OpenStorageOptions {
  /** SQLite: how long to wait for another writer's lock. */
  busyTimeoutMs?: number;
  /** SQLite: open the file read-only (no migration). */
  readonly?: boolean;
  /** For commands that only read results: a missing file (or a database without autotune's tables) is an error, not a new empty store. */
  mustExist?: boolean;
  /** PostgreSQL: how long a dropped connection is retried (with backoff) before the command fails. */
  retryForMs?: number;
}

export const DEFAULT_DB_PATH = 'results/autotune.db';
