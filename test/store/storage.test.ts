import Database from 'better-sqlite3';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { openStorage, SCHEMA_VERSION, type Storage } from '../../src/store/index.js';
import { sampleMeasurement, sampleStudy } from './store-fixtures.js';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'autotune-store-')), 'nested', 'autotune.db');
const open: Storage[] = [];
const track = (s: Storage) => (open.push(s), s);
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AutotuneError ? err.code : `untyped: ${String(err)}`;
  }
  return undefined;
}

describe('SQLite storage', () => {
  it('creates the folder and migrates an empty file to the current schema in WAL mode', () => {
    const path = tempDb();
    track(openStorage(path)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    );
    expect(tables).toEqual(expect.arrayContaining(['studies', 'trials', 'measurements', 'videos', 'reference_answers']));
    db.close();
    // Re-opening an up-to-date file applies nothing and keeps the data.
    const again = track(openStorage(path));
    again.createStudy(sampleStudy('s'));
    again.close();
    expect(track(openStorage(path)).getStudy('s')?.name).toBe('s');
  });

  it('names a database path whose folder cannot be made, and refuses a missing file where one must exist', () => {
    // /proc answers ENOENT for new folders: Node's recursive mkdir never returns there.
    expect(() => openStorage('/proc/no-such-folder/results.db')).toThrow(/cannot create the folder of the results database \/proc\/no-such-folder/);
    const missing = join(mkdtempSync(join(tmpdir(), 'store-')), 'typo.db');
    expect(() => openStorage(missing, { mustExist: true })).toThrow(/no results database at .*typo\.db/);
  });

  it('refuses a file from a newer schema and a file that is not a database', () => {
    const path = tempDb();
    track(openStorage(path)).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(codeOf(() => openStorage(path))).toBe('E_STORE');

    const junk = join(mkdtempSync(join(tmpdir(), 'autotune-junk-')), 'junk.db');
    writeFileSync(junk, 'this is not sqlite at all, just some text that is long enough'.repeat(40));
    expect(codeOf(() => openStorage(junk))).toBe('E_STORE');
  });

  it('round-trips studies, trials, measurements, videos and references', () => {
    const store = track(openStorage(tempDb()));
    const study = store.createStudy({ ...sampleStudy('rt'), netProbe: { rttMs: 3 } });
    expect(study.objective.kind).toBe('fastest-safe');
    expect(study.netProbe).toEqual({ rttMs: 3 });
    expect(codeOf(() => store.createStudy(sampleStudy('rt')))).toBe('E_STUDY');

    const trial = store.createTrial(study.id, { params: { IMG_SIZE: 416, ENABLE_HTTP2: true }, baseline: 'QUICK' });
    expect(trial).toMatchObject({ number: 0, state: 'RUNNING', baseline: 'QUICK', params: { IMG_SIZE: 416, ENABLE_HTTP2: true } });
    const failed = sampleMeasurement({ error: { reason: 'stall', message: 'no bytes for 0.2 s' }, accuracy: null });
    store.addMeasurement(trial.id, sampleMeasurement());
    store.addMeasurement(trial.id, failed);
    const done = store.setTrialState(trial.id, { state: 'COMPLETE', value: 1.0, feasible: false, violation: 0.5 });
    expect(done).toMatchObject({ state: 'COMPLETE', value: 1, feasible: false, violation: 0.5 });
    expect(done.finishedAt).not.toBeNull();

    const ms = store.listMeasurements({ trialId: trial.id });
    expect(ms).toHaveLength(2);
    expect(ms[0]!.timeline).toEqual(sampleMeasurement().timeline);
    expect(ms[1]!.error).toEqual({ reason: 'stall', message: 'no bytes for 0.2 s' });
    expect(store.listMeasurements({ studyId: study.id, phase: 'confirm' })).toHaveLength(0);

    store.putVideo({ url: 'https://x/a.mp4', size: 10, etag: '"e"', sha256: null, frames: 50, faststart: true });
    expect(store.getVideo('https://x/a.mp4')).toMatchObject({ frames: 50, faststart: true });
    store.putReference('k', { frames: [1, 2] });
    expect(store.getReference('k')).toEqual({ frames: [1, 2] });
    expect(store.getReference('missing')).toBeNull();
  });

  it("keeps a measurement's restart-to-ready seconds and answer hash, and migrates a file of schema 1 with them empty", () => {
    const path = tempDb();
    const store = track(openStorage(path));
    const study = store.createStudy(sampleStudy('miner'));
    const trial = store.createTrial(study.id, { params: { IMG_SIZE: 320 }, baseline: null });
    const first = store.addMeasurement(trial.id, sampleMeasurement({ setupS: 2.25, answerHash: 'ab12' }));
    expect(first).toMatchObject({ setupS: 2.25, answerHash: 'ab12' });
    store.addMeasurement(trial.id, sampleMeasurement());
    expect(store.listMeasurements({ trialId: trial.id }).map((m) => [m.setupS, m.answerHash])).toEqual([
      [2.25, 'ab12'],
      [null, null],
    ]);
    store.close();

    // A file written before the columns existed: rewind it to schema 1 and open it again.
    const old = new Database(path);
    old.exec('ALTER TABLE measurements DROP COLUMN setup_s; ALTER TABLE measurements DROP COLUMN answer_hash');
    old.pragma('user_version = 1');
    old.close();
    const migrated = track(openStorage(path));
    expect(migrated.listMeasurements({ trialId: trial.id }).map((m) => [m.setupS, m.answerHash])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it('keeps finished trials immutable; confirm measurements go only to COMPLETE trials', () => {
    const store = track(openStorage(tempDb()));
    const study = store.createStudy(sampleStudy('imm'));
    const a = store.createTrial(study.id, { params: {}, baseline: null });
    store.setTrialState(a.id, { state: 'COMPLETE', value: 2, feasible: true, violation: 0 });
    expect(codeOf(() => store.setTrialState(a.id, { state: 'FAIL', reason: 'x' }))).toBe('E_STORE');
    expect(codeOf(() => store.addMeasurement(a.id, sampleMeasurement()))).toBe('E_STORE');
    expect(store.addMeasurement(a.id, sampleMeasurement({ phase: 'confirm' })).phase).toBe('confirm');
    expect(store.getTrial(study.id, a.number)).toMatchObject({ state: 'COMPLETE', value: 2 });

    const b = store.createTrial(study.id, { params: {}, baseline: null });
    expect(codeOf(() => store.addMeasurement(b.id, sampleMeasurement({ phase: 'confirm' })))).toBe('E_STORE');
    store.setTrialState(b.id, { state: 'PRUNED', reason: 'interrupted' });
    expect(codeOf(() => store.setTrialState(b.id, { state: 'COMPLETE' }))).toBe('E_STORE');
  });

  it('on resume marks trials left RUNNING by a dead process as FAIL and continues the numbering', () => {
    const path = tempDb();
    const first = track(openStorage(path));
    const study = first.createStudy(sampleStudy('resume'));
    const t0 = first.createTrial(study.id, { params: { A: 1 }, baseline: null });
    first.setTrialState(t0.id, { state: 'COMPLETE', value: 1, feasible: true, violation: 0 });
    first.createTrial(study.id, { params: { A: 2 }, baseline: null });
    first.close();
    // Pretend the writer was a process that has since died.
    const db = new Database(path);
    db.prepare('UPDATE trials SET worker_pid = 2147483000 WHERE number = 1').run();
    db.close();

    const second = track(openStorage(path));
    expect(second.failInterruptedTrials(study.id, 'interrupted: process ended while the trial ran')).toEqual([1]);
    const trials = second.listTrials(study.id);
    expect(trials.map((t) => [t.number, t.state])).toEqual([
      [0, 'COMPLETE'],
      [1, 'FAIL'],
    ]);
    expect(trials[1]!.reason).toMatch(/interrupted/);
    expect(second.createTrial(study.id, { params: {}, baseline: null }).number).toBe(2);
  });

  it('leaves a RUNNING trial of another live process alone, and fails its own stale ones', () => {
    const path = tempDb();
    const store = track(openStorage(path));
    const study = store.createStudy(sampleStudy('live'));
    store.createTrial(study.id, { params: {}, baseline: null });
    store.createTrial(study.id, { params: {}, baseline: null });
    const db = new Database(path);
    db.prepare('UPDATE trials SET worker_pid = ? WHERE number = 0').run(process.ppid); // alive, not us
    db.close();
    expect(store.failInterruptedTrials(study.id, 'x')).toEqual([1]);
    expect(store.getTrial(study.id, 0)?.state).toBe('RUNNING');
  });

  it('reports a lock held past the busy timeout as E_STORE_LOCKED naming the file', () => {
    const path = tempDb();
    const store = track(openStorage(path, { busyTimeoutMs: 150 }));
    const study = store.createStudy(sampleStudy('locked'));
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      let error: unknown;
      try {
        store.createTrial(study.id, { params: {}, baseline: null });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AutotuneError);
      expect((error as AutotuneError).code).toBe('E_STORE_LOCKED');
      expect((error as AutotuneError).message).toContain(path);
      // Readers are not blocked by the writer (WAL).
      expect(store.listTrials(study.id)).toEqual([]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(store.createTrial(study.id, { params: {}, baseline: null }).number).toBe(0);
  });

  it('two processes writing at once leave a consistent file with unique trial numbers', async () => {
    const path = tempDb();
    track(openStorage(path)).close();
    const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const count = 40;
    const runs = await Promise.all(
      ['a', 'b'].map((label) => execa('node', ['--import', 'tsx', writer, path, label, String(count)], { reject: false })),
    );
    for (const run of runs) expect(run.stderr).toBe('');
    for (const run of runs) expect(run.exitCode).toBe(0);
    const store = track(openStorage(path));
    const study = store.getStudy('shared')!;
    const trials = store.listTrials(study.id);
    expect(trials).toHaveLength(2 * count);
    expect(trials.map((t) => t.number)).toEqual([...Array(2 * count).keys()]);
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
    expect(store.listMeasurements({ studyId: study.id })).toHaveLength(2 * count);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
