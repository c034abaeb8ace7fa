import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { openStorage, SCHEMA_VERSION, type Storage } from '../../src/store/index.js';
import { PASSWORD_USER } from '../helpers/postgres-cluster.js';
import { adminQuery, freshDatabase, postgresSkip, sayWhyPostgresSkips } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { codeOf, storageConformance } from './conformance.js';
import { sampleMeasurement, sampleStudy } from './store-fixtures.js';

sayWhyPostgresSkips('the PostgreSQL storage tests');

storageConformance('PostgreSQL', async () => openStorage(await freshDatabase('conformance')), postgresSkip);

const open: Storage[] = [];
const track = async (pending: Promise<Storage>) => {
  const s = await pending;
  open.push(s);
  return s;
};
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** The error a promise rejects with (an AutotuneError expected). */
async function errorOf(pending: Promise<unknown>): Promise<AutotuneError> {
  try {
    await pending;
  } catch (err) {
    if (err instanceof AutotuneError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(postgresSkip !== null)('PostgreSQL storage', () => {
  let url: string;
  let port: number;
  beforeAll(async () => {
    url = await freshDatabase('pgstore');
    port = Number(new URL(url).port);
  });

  it('migrates an empty database to the current schema once, also when workers open it at once', async () => {
    const db = await freshDatabase('migrate');
    const stores = await Promise.all([1, 2, 3].map(() => track(openStorage(db))));
    expect((await adminQuery(db, 'SELECT version FROM autotune_schema')).rows).toEqual([{ version: SCHEMA_VERSION }]);
    await stores[0]!.createStudy(sampleStudy('s'));
    expect((await stores[2]!.getStudy('s'))?.name).toBe('s');
    const again = await track(openStorage(db));
    expect((await again.listStudies()).map((s) => s.name)).toEqual(['s']);
  });

  it('has the same tables and columns, of the same kinds, as the SQLite store', async () => {
    const db = await freshDatabase('columns');
    await (await track(openStorage(db))).close();
    const kind = (type: string) => (/int/i.test(type) ? 'integer' : /real|double/i.test(type) ? 'real' : 'text');
    const pgColumns = (
      await adminQuery(
        db,
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'autotune_schema'",
      )
    ).rows.map((r) => `${r.table_name}.${r.column_name}:${kind(r.data_type)}`);
    const file = join(mkdtempSync(join(tmpdir(), 'autotune-cols-')), 'a.db');
    await (await track(openStorage(file))).close();
    const sqlite = new Database(file, { readonly: true });
    const tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const sqliteColumns = tables.flatMap((t) =>
      (sqlite.prepare(`PRAGMA table_info(${t})`).all() as { name: string; type: string }[]).map((c) => `${t}.${c.name}:${kind(c.type)}`),
    );
    sqlite.close();
    expect(pgColumns.sort()).toEqual(sqliteColumns.sort());
  });

  it('refuses a database whose schema is newer than this program, naming both versions', async () => {
    const db = await freshDatabase('newer');
    await (await track(openStorage(db))).close();
    await adminQuery(db, 'UPDATE autotune_schema SET version = $1', [SCHEMA_VERSION + 1]);
    const err = await errorOf(openStorage(db));
    expect(err.code).toBe('E_STORE');
    expect(err.toLine()).toBe(
      `${db} has schema version ${SCHEMA_VERSION + 1}, newer than this autotune understands (${SCHEMA_VERSION}) (upgrade autotune, or pass another --db / --storage)`,
    );
  });

  it('says in one line what is wrong: nothing listening, a refused login, an unknown database, no results yet', async () => {
    const closed = await startTcpProxy(port);
    await closed.cut();
    const unreachable = await errorOf(openStorage(`postgres://postgres@127.0.0.1:${closed.port}/x`));
    expect(unreachable.exitCode).toBe(9);
    expect(unreachable.toLine()).toMatch(
      new RegExp(`^cannot reach the PostgreSQL server of postgres://postgres@127\\.0\\.0\\.1:${closed.port}/x \\(.*ECONNREFUSED.*\\) \\(check that the server runs`),
    );

    const wrong = `postgres://${PASSWORD_USER.name}:not-the-password@127.0.0.1:${port}/postgres`;
    const refused = await errorOf(openStorage(wrong));
    expect(refused.toLine()).toMatch(/^PostgreSQL refused the login of user "autotune_pw" at postgres:\/\/autotune_pw:\*\*\*@127\.0\.0\.1:\d+\/postgres \(password authentication failed/);
    expect(refused.toLine()).not.toContain('not-the-password');
    const noRole = await errorOf(openStorage(`postgres://nobody@127.0.0.1:${port}/postgres`));
    expect(noRole.toLine()).toMatch(/^PostgreSQL refused the login of user "nobody"/);

    const missing = await errorOf(openStorage(`postgres://postgres@127.0.0.1:${port}/no_such_db`));
    expect(missing.code).toBe('E_NOT_FOUND');
    expect(missing.toLine()).toBe(
      `the PostgreSQL server of postgres://postgres@127.0.0.1:${port}/no_such_db has no database "no_such_db" (create it (createdb -h 127.0.0.1 -p ${port} -U postgres no_such_db) or fix the database name in --storage)`,
    );

    // PostgreSQL 15+: a user that does not own the database may not create tables in public.
    const owned = await freshDatabase('owned');
    const asUser = owned.replace('postgres@', `${PASSWORD_USER.name}:${PASSWORD_USER.password}@`);
    const denied = await errorOf(openStorage(asUser));
    expect(denied.exitCode).toBe(9);
    expect(denied.toLine()).toMatch(
      /permission denied for schema public \(SQLSTATE 42501\) \(user "autotune_pw" may not create or change autotune's tables: on the database host, make it the database's owner \(ALTER DATABASE \S+ OWNER TO autotune_pw\) or GRANT CREATE ON SCHEMA public TO autotune_pw\)$/,
    );
    expect(denied.toLine()).not.toContain(PASSWORD_USER.password);

    const empty = await freshDatabase('empty');
    expect(await codeOf(openStorage(empty, { mustExist: true }))).toBe('E_NOT_FOUND');
    expect((await adminQuery(empty, "SELECT to_regclass('autotune_schema') AS t")).rows[0].t).toBeNull();
  });

  it('loses no write and doubles none when the server ends its connections in the middle of a run of writes', async () => {
    const db = await freshDatabase('dropped');
    const store = await track(openStorage(db));
    const study = await store.createStudy(sampleStudy('dropped'));
    let terminated = 0;
    let writing = true;
    const killer = (async () => {
      while (writing) {
        const { rows } = await adminQuery(
          db,
          "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'autotune' AND datname = current_database() AND pid <> pg_backend_pid()) t",
        );
        terminated += rows[0].n as number;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const trials = 30;
    try {
      for (let i = 0; i < trials; i++) {
        const trial = (await store.createTrial(study.id, { params: { I: i }, baseline: null }))!;
        for (let repeat = 1; repeat <= 3; repeat++) await store.addMeasurement(trial.id, sampleMeasurement({ repeat }));
        expect(await store.heartbeat(trial.id)).toBe(true);
        await store.setTrialState(trial.id, { state: 'COMPLETE', value: i, feasible: true, violation: 0 });
      }
    } finally {
      writing = false;
      await killer;
    }
    expect(terminated).toBeGreaterThan(0);
    const stored = await store.listTrials(study.id);
    expect(stored.map((t) => [t.number, t.state, t.value])).toEqual([...Array(trials).keys()].map((i) => [i, 'COMPLETE', i]));
    const measurements = await store.listMeasurements({ studyId: study.id });
    expect(measurements).toHaveLength(trials * 3);
    for (const trial of stored) expect(measurements.filter((m) => m.trialId === trial.id).map((m) => m.repeat)).toEqual([1, 2, 3]);
  });

  it('retries a lost connection with backoff, then gives up with one line when it does not come back', async () => {
    const proxy = await startTcpProxy(port);
    const through = `postgres://postgres@127.0.0.1:${proxy.port}/${new URL(url).pathname.slice(1)}`;
    const store = await track(openStorage(through, { retryForMs: 1500 }));
    await store.createStudy(sampleStudy('lost'));
    await proxy.cut();
    const started = Date.now();
    const err = await errorOf(store.listStudies());
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(err.code).toBe('E_STORE');
    expect(err.toLine()).toMatch(new RegExp(`^lost the connection to postgres://postgres@127\\.0\\.0\\.1:${proxy.port}/\\S+ and could not get it back within \\d s \\(.*\\) \\(check the server`));
    expect(err.exitCode).toBe(9);
    // The outage is one: an operation after it gives up at once instead of waiting a window of its own.
    const next = Date.now();
    expect((await errorOf(store.getStudy('lost'))).code).toBe('E_STORE');
    expect(Date.now() - next).toBeLessThan(1000);
    // The study written before the cut is in the database.
    const direct = await track(openStorage(url));
    expect((await direct.getStudy('lost'))?.name).toBe('lost');
  });

  it('takes its times from the server: a worker whose clock is two hours behind still beats fresh', async () => {
    const store = await track(openStorage(url));
    const study = await store.createStudy(sampleStudy('clock'));
    const behind = fileURLToPath(new URL('./fixtures/clock-behind.cjs', import.meta.url));
    const starter = fileURLToPath(new URL('./fixtures/start-trial.ts', import.meta.url));
    const run = await execa('node', ['--require', behind, '--import', 'tsx', starter, url, 'clock'], { reject: false });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).clock).toMatch(/^\d{4}-/);
    expect(Date.now() - Date.parse(JSON.parse(run.stdout).clock)).toBeGreaterThan(3600_000);
    const [trial] = await store.listTrials(study.id);
    expect(Math.abs(Date.now() - Date.parse(trial!.heartbeatAt))).toBeLessThan(600_000);
    expect(await store.failStaleTrials(study.id, 600)).toEqual([]);
  });
});
