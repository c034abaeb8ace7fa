import Database from 'better-sqlite3';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { openStorage, SCHEMA_VERSION, type Storage } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/schema.js';
import { makeDirs } from '../../src/util/fs.js';
import { codeOf, storageConformance } from './conformance.js';
import { sampleMeasurement, sampleStudy } from './store-fixtures.js';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'autotune-store-')), 'nested', 'autotune.db');

storageConformance('SQLite', () => openStorage(tempDb()));

const open: Storage[] = [];
const track = async (pending: Promise<Storage>) => {
  const s = await pending;
  open.push(s);
  return s;
};
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

describe('SQLite storage', () => {
  it('creates the folder and migrates an empty file to the current schema in WAL mode', async () => {
    const path = tempDb();
    await (await track(openStorage(path))).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    );
    expect(tables).toEqual(expect.arrayContaining(['studies', 'trials', 'measurements', 'videos', 'reference_answers']));
    db.close();
    // Re-opening an up-to-date file applies nothing and keeps the data.
    const again = await track(openStorage(path));
    await again.createStudy(sampleStudy('s'));
    await again.close();
    expect((await (await track(openStorage(path))).getStudy('s'))?.name).toBe('s');
  });

  it('migrates a file of schema 1: its measurements stay, control measurements and verdicts become storable', async () => {
    const path = tempDb();
    await (await track(openStorage(join(path, '..', 'make-folder.db')))).close();
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!.sqlite);
    old.pragma('user_version = 1');
    old.prepare(
      `INSERT INTO studies (name, space_file, space_json, objective_json, settings_json, host_json, created_at)
       VALUES ('old', 'quick.yaml', '{}', '{"kind":"fastest-safe","accuracyFloor":0.98,"tMin":2}', '{}', '{}', 'then')`,
    ).run();
    old.prepare(
      `INSERT INTO trials (study_id, number, params_json, state, worker_host, worker_pid, started_at, feasible, value)
       VALUES (1, 0, '{"A":1}', 'COMPLETE', 'h', 1, 'then', 1, 1.5)`,
    ).run();
    old.prepare(
      `INSERT INTO measurements (trial_id, video_url, repeat, phase, total, bytes, frames_decoded, frames_answered, created_at)
       VALUES (1, 'https://x/a.mp4', 1, 'search', 1.5, 10, 5, 5, 'then')`,
    ).run();
    expect(() => old.prepare(
      `INSERT INTO measurements (trial_id, video_url, repeat, phase, bytes, frames_decoded, frames_answered, created_at)
       VALUES (1, 'https://x/a.mp4', 1, 'control', 10, 5, 5, 'then')`,
    ).run()).toThrow(/CHECK/);
    old.close();

    const store = await track(openStorage(path));
    const study = (await store.getStudy('old'))!;
    const [trial] = await store.listTrials(study.id);
    expect(trial).toMatchObject({ number: 0, state: 'COMPLETE', value: 1.5, verdict: null });
    expect((await store.listMeasurements({ studyId: study.id })).map((m) => [m.phase, m.timeline.total])).toEqual([['search', 1.5]]);
    await store.addMeasurement(trial!.id, sampleMeasurement({ phase: 'control' }));
    expect(await store.listMeasurements({ studyId: study.id, phase: 'control' })).toHaveLength(1);
  });

  it('names a database path whose folder cannot be made, and refuses a missing file where one must exist', async () => {
    // /proc answers ENOENT for new folders: Node's recursive mkdir never returns there.
    await expect(openStorage('/proc/no-such-folder/results.db')).rejects.toThrow(/cannot create the folder of the results database \/proc\/no-such-folder/);
    const missing = join(mkdtempSync(join(tmpdir(), 'store-')), 'typo.db');
    await expect(openStorage(missing, { mustExist: true })).rejects.toThrow(/no results database at .*typo\.db/);
  });

  it('refuses a file from a newer schema and a file that is not a database', async () => {
    const path = tempDb();
    await (await track(openStorage(path))).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(await codeOf(openStorage(path))).toBe('E_STORE');

    const junk = join(mkdtempSync(join(tmpdir(), 'autotune-junk-')), 'junk.db');
    writeFileSync(junk, 'this is not sqlite at all, just some text that is long enough'.repeat(40));
    expect(await codeOf(openStorage(junk))).toBe('E_STORE');
  });

  it('on resume fails the trial of a dead process, and leaves a RUNNING trial of another live process alone', async () => {
    const path = tempDb();
    const store = await track(openStorage(path));
    const study = await store.createStudy(sampleStudy('live'));
    for (let i = 0; i < 3; i++) await store.createTrial(study.id, { params: { I: i }, baseline: null });
    const db = new Database(path);
    db.prepare('UPDATE trials SET worker_pid = ? WHERE number = 0').run(process.ppid); // alive, not us
    db.prepare('UPDATE trials SET worker_pid = 2147483000 WHERE number = 1').run(); // a process that has died
    db.close();
    expect(await store.failInterruptedTrials(study.id, 'x')).toEqual([1, 2]);
    expect((await store.getTrial(study.id, 0))?.state).toBe('RUNNING');
  });

  it('reports a lock held past the busy timeout as E_STORE_LOCKED naming the file', async () => {
    const path = tempDb();
    const store = await track(openStorage(path, { busyTimeoutMs: 150 }));
    const study = await store.createStudy(sampleStudy('locked'));
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      let error: unknown;
      try {
        await store.createTrial(study.id, { params: {}, baseline: null });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AutotuneError);
      expect((error as AutotuneError).code).toBe('E_STORE_LOCKED');
      expect((error as AutotuneError).message).toContain(path);
      // Readers are not blocked by the writer (WAL).
      expect(await store.listTrials(study.id)).toEqual([]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await store.createTrial(study.id, { params: {}, baseline: null }))?.number).toBe(0);
  });

  it('two processes creating and writing one study at once: the loser of the creation joins, the file stays consistent', async () => {
    const path = tempDb();
    await (await track(openStorage(path))).close();
    const worker = fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url));
    const count = 40;
    const runs = await Promise.all(['a', 'b'].map((label) => execa('node', ['--import', 'tsx', worker, path, label, String(count), String(count)], { reject: false })));
    // Both create study "fleet" when they find it missing: the store refuses the second (E_STUDY) and
    // that worker joins; a raw UNIQUE error or an unjoined loser would show here.
    for (const run of runs) expect(run.stderr).toBe('');
    for (const run of runs) expect(run.exitCode).toBe(0);
    const reports = runs.map((run) => JSON.parse(String(run.stdout)) as { created: number; refused: number; overlaps: number });
    expect(reports.map((r) => r.created + r.refused)).toEqual([count, count]);
    expect(reports.map((r) => r.overlaps)).toEqual([0, 0]);
    const store = await track(openStorage(path));
    expect((await store.listStudies()).map((s) => s.name)).toEqual(['fleet']);
    const study = (await store.getStudy('fleet'))!;
    const trials = await store.listTrials(study.id);
    const created = reports[0]!.created + reports[1]!.created;
    expect(trials.map((t) => t.number)).toEqual([...Array(created).keys()]);
    expect(created).toBeGreaterThanOrEqual(count);
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
    expect(await store.listMeasurements({ studyId: study.id })).toHaveLength(created);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('is a one-host store: on resume a RUNNING trial recorded by another host is failed too', async () => {
    const path = tempDb();
    const store = await track(openStorage(path));
    const study = await store.createStudy(sampleStudy('moved'));
    await store.createTrial(study.id, { params: { A: 1 }, baseline: null });
    const db = new Database(path);
    db.prepare("UPDATE trials SET worker_host = 'another-host', worker_pid = ?").run(process.ppid);
    db.close();
    expect(await store.failInterruptedTrials(study.id, 'x')).toEqual([0]);
  });

  // A file an older autotune wrote, made by its own migrations: a finished and a RUNNING trial, one
  // measurement (with a restart-to-ready time and an answer hash from schema 2 on).
  function oldFile(version: number): string {
    const path = tempDb();
    makeDirs(dirname(path), 'test folder');
    const db = new Database(path);
    for (const migration of MIGRATIONS.filter((m) => m.version <= version)) db.exec(migration.sqlite);
    db.pragma(`user_version = ${version}`);
    db.prepare(
      `INSERT INTO studies (name, space_file, space_json, objective_json, settings_json, host_json, created_at)
       VALUES ('old', 'quick.yaml', '{}', '{"kind":"fastest-safe","accuracyFloor":0.98,"tMin":2}', '{}', '{}', '2024-01-01T00:00:00.000Z')`,
    ).run();
    const insert = db.prepare(
      `INSERT INTO trials (study_id, number, params_json, state, worker_host, worker_pid, started_at, finished_at)
       VALUES (1, ?, '{"A":1}', ?, 'old-host', 1, '2024-01-01T00:00:00.000Z', ?)`,
    );
    insert.run(0, 'COMPLETE', '2024-01-01T00:01:00.000Z');
    insert.run(1, 'RUNNING', null);
    const measurement = version >= 2 ? { columns: ', setup_s, answer_hash', values: ", 2.25, 'ab12'" } : { columns: '', values: '' };
    db.prepare(
      `INSERT INTO measurements (trial_id, video_url, repeat, phase, bytes, frames_decoded, frames_answered, created_at${measurement.columns})
       VALUES (1, 'https://lab/a.mp4', 1, 'search', 1000, 50, 50, '2024-01-01T00:00:30.000Z'${measurement.values})`,
    ).run();
    db.close();
    return path;
  }

  it('migrates a file of schema 1: measurements get empty restart-to-ready times and answer hashes, trials their heartbeat from their times', async () => {
    const store = await track(openStorage(oldFile(1)));
    expect((await store.listMeasurements({ trialId: 1 })).map((m) => [m.setupS, m.answerHash])).toEqual([[null, null]]);
    const trials = await store.listTrials(1);
    expect(trials.map((t) => t.heartbeatAt)).toEqual(['2024-01-01T00:01:00.000Z', '2024-01-01T00:00:00.000Z']);
    expect(await store.failStaleTrials(1, 60)).toEqual([1]);
  });

  it('migrates a file of schema 2 (measurement columns): what it held is kept, the RUNNING trial holds its config and can be swept', async () => {
    const path = oldFile(2);
    const store = await track(openStorage(path));
    expect((await store.listMeasurements({ trialId: 1 })).map((m) => [m.setupS, m.answerHash])).toEqual([[2.25, 'ab12']]);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    // The RUNNING trial from before the claims has no config key: it blocks nothing and is swept as stale.
    expect(await store.createTrial(1, { params: { A: 1 }, baseline: null })).not.toBeNull();
    expect(await store.failStaleTrials(1, 60)).toEqual([1]);
  });
});
