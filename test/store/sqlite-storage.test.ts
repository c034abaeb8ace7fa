import Database from 'better-sqlite3';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { openStorage, SCHEMA_VERSION, type Storage } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/schema.js';
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
    old.exec(MIGRATIONS[0]!.sql);
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
    for (let i = 0; i < 3; i++) await store.createTrial(study.id, { params: {}, baseline: null });
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
    expect((await store.createTrial(study.id, { params: {}, baseline: null })).number).toBe(0);
  });

  it('two processes writing at once leave a consistent file with unique trial numbers', async () => {
    const path = tempDb();
    await (await track(openStorage(path))).close();
    const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const count = 40;
    const runs = await Promise.all(
      ['a', 'b'].map((label) => execa('node', ['--import', 'tsx', writer, path, label, String(count)], { reject: false })),
    );
    for (const run of runs) expect(run.stderr).toBe('');
    for (const run of runs) expect(run.exitCode).toBe(0);
    const store = await track(openStorage(path));
    const study = (await store.getStudy('shared'))!;
    const trials = await store.listTrials(study.id);
    expect(trials).toHaveLength(2 * count);
    expect(trials.map((t) => t.number)).toEqual([...Array(2 * count).keys()]);
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
    expect(await store.listMeasurements({ studyId: study.id })).toHaveLength(2 * count);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
