// The connection pool of the PostgreSQL backend, and what makes a study survive a dropped connection:
// every operation is retried with backoff while the connection is down (up to `retryForMs`), and
// writes are exactly-once. A write runs in a transaction that first asks for its transaction id; when
// the connection drops while COMMIT is in flight, txid_status() on a new connection tells whether
// it committed (then its result stands) or not (then it runs again). Nothing is lost, nothing doubled.

import pg from 'pg';
import { AutotuneError } from '../../errors.js';
import { connectionLost, loginRefused, unknownDatabase, unreachable } from '../errors.js';
import type { StoreLocation } from '../location.js';

export type PostgresLocation = Extract<StoreLocation, { kind: 'postgres' }>;
export type Row = Record<string, unknown>;
/** Runs one statement and hands back its rows. */
export type Query = (sql: string, values?: readonly unknown[]) => Promise<Row[]>;

export const DEFAULT_RETRY_FOR_MS = 60_000;
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;
const INT8 = 20;

// BIGINT columns (byte counts) come back as numbers: every value we store fits in 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export class PgConnection {
  readonly location: PostgresLocation;
  private readonly pool: pg.Pool;
  private readonly retryForMs: number;
  /**
   * When the connection went down (null while it works): every operation counts its retries from
   * there, so operations queued behind one outage (a write, a heartbeat, a read) give up together
   * after retryForMs, not one window each.
   */
  private downSince: number | null = null;

  private constructor(pool: pg.Pool, location: PostgresLocation, retryForMs: number) {
    this.pool = pool;
    this.location = location;
    this.retryForMs = retryForMs;
  }

  /** Connects once (an unreachable server, a refused login or a missing database is one clear error), then runs `setup` on that connection. */
  static async open(location: PostgresLocation, retryForMs: number, setup: (query: Query) => Promise<void>): Promise<PgConnection> {
    const pool = new pg.Pool({
      connectionString: location.url,
      max: 4,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'autotune',
      types,
    });
    // A connection the server ends (restart, pg_terminate_backend) also reports it as an event, idle
    // or checked out: the statement that needs it fails and is retried, the pool drops it and the next
    // use reconnects, so the event itself is not news.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    try {
      const client = await pool.connect();
      try {
        await setup(queryOn(client));
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw toStoreError(err, location, true);
    }
    return new PgConnection(pool, location, retryForMs);
  }

  /** One idempotent statement (a read, an upsert, a heartbeat), retried while the connection is down. */
  run(sql: string, values?: readonly unknown[]): Promise<Row[]> {
    return this.retrying(async () => (await this.pool.query(sql, values as unknown[])).rows as Row[]);
  }

  /** `fn` in one transaction, exactly once, retried while the connection is down. */
  transaction<T>(fn: (query: Query) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      const client = await this.pool.connect();
      const release = (destroy?: boolean) => client.release(destroy);
      let xid: string | null = null;
      let committing = false;
      let result: T;
      try {
        const begun = (await client.query('BEGIN; SELECT txid_current()::text AS xid')) as unknown as pg.QueryResult[];
        xid = begun[1]!.rows[0].xid as string;
        result = await fn(queryOn(client));
        committing = true;
        await client.query('COMMIT');
      } catch (err) {
        if (isConnectionError(err)) {
          release(true);
          if (committing && xid !== null && (await this.committed(xid))) return result!;
          throw err;
        }
        await client.query('ROLLBACK').catch(() => {});
        release();
        throw err;
      }
      release();
      return result;
    });
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }

  /** Whether the transaction whose COMMIT was cut off did commit. */
  private committed(xid: string): Promise<boolean> {
    return this.retrying(async () => {
      for (;;) {
        const status = (await this.pool.query('SELECT txid_status($1::bigint) AS status', [xid])).rows[0]?.status as string | null;
        // The server may still be ending the cut-off backend: its transaction is in progress until then.
        if (status !== 'in progress') return status === 'committed';
        await sleep(FIRST_BACKOFF_MS);
      }
    });
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      try {
        const result = await attempt();
        this.downSince = null;
        return result;
      } catch (err) {
        if (!isRetryable(err)) throw toStoreError(err, this.location, false);
        this.downSince ??= Date.now();
        const waited = Date.now() - this.downSince;
        if (waited + backoff > this.retryForMs) throw connectionLost(this.location.display, waited, err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }
}

function queryOn(client: pg.PoolClient): Query {
  return async (sql, values) => (await client.query(sql, values as unknown[])).rows as Row[];
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
const CONNECTION_MESSAGE = /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|server closed the connection/i;

/** The connection is gone (or was never made): the server ended it, the network dropped it, or nothing answers. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof AutotuneError) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // 08: connection exception; 57P01-03: the server is shutting down, crashed or starting.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  return err instanceof Error && CONNECTION_MESSAGE.test(err.message);
}

/** Worth another try: the connection is down, or the server asked for a retry (serialization failure, deadlock). */
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return isConnectionError(err) || code === '40001' || code === '40P01';
}

/** The server's answer as a store error naming the URL (without its password). */
export function toStoreError(err: unknown, location: PostgresLocation, opening: boolean): AutotuneError {
  if (err instanceof AutotuneError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === '28P01' || code === '28000') return loginRefused(location.display, location.user, err);
  if (code === '3D000') return unknownDatabase(location.display, location.database, location.createCommand);
  if (opening && isConnectionError(err)) return unreachable(location.display, err);
  const message = err instanceof Error ? err.message : String(err);
  return new AutotuneError('E_STORE', `PostgreSQL at ${location.display} failed: ${message}${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`, {
    cause: err,
    // PostgreSQL 15 and later no longer let every user create tables in the public schema.
    ...(code === '42501'
      ? {
          hint:
            `user "${location.user}" may not create or change autotune's tables: on the database host, make it the database's owner ` +
            `(ALTER DATABASE ${location.database} OWNER TO ${location.user}) or GRANT CREATE ON SCHEMA public TO ${location.user}`,
        }
      : {}),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
