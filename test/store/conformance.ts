// The Storage contract, for every backend: `storageConformance(name, open)` registers the tests; `open`
// returns a fresh, empty store each time, and `openStorage(store.path)` opens it again (another
// connection, or another process). A backend's own test file runs it unchanged, beside the tests of
// what only that backend has (files, locks, connections).

import { execa } from 'execa';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { readStudyDump as dumpOf } from '../../src/store/copy.js';
import { openStorage, type Storage } from '../../src/store/index.js';
import { sampleMeasurement, sampleStudy } from './store-fixtures.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fleetWorker = fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url));
const claimWorker = fileURLToPath(new URL('./fixtures/claim-worker.ts', import.meta.url));

/** The code of the AutotuneError a promise rejects with; 'untyped: ...' for another error, undefined if it resolves. */
export async function codeOf(pending: Promise<unknown>): Promise<string | undefined> {
  try {
    await pending;
  } catch (err) {
    return err instanceof AutotuneError ? err.code : `untyped: ${String(err)}`;
  }
  return undefined;
}

/** `skip`: why this backend cannot run here (the tests are then skipped), or null. */
export function storageConformance(name: string, open: () => Promise<Storage>, skip: string | null = null): void {
  describe.skipIf(skip !== null)(`Storage contract: ${name}`, () => {
    const opened: Storage[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };
    /** Another connection to the same store. */
    const again = async (store: Storage) => {
      const other = await openStorage(store.path);
      opened.push(other);
      return other;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('round-trips studies, trials, measurements, videos and references', async () => {
      const store = await fresh();
      const study = await store.createStudy({ ...sampleStudy('rt'), netProbe: { rttMs: 3 } });
      expect(study.objective.kind).toBe('fastest-safe');
      expect(study.netProbe).toEqual({ rttMs: 3 });
      expect(await codeOf(store.createStudy(sampleStudy('rt')))).toBe('E_STUDY');
      expect((await store.getStudy('rt'))?.id).toBe(study.id);
      expect(await store.getStudy('nope')).toBeNull();
      expect((await store.listStudies()).map((s) => s.name)).toEqual(['rt']);

      const trial = (await store.createTrial(study.id, { params: { IMG_SIZE: 416, ENABLE_HTTP2: true }, baseline: 'QUICK' }))!;
      expect(trial).toMatchObject({ number: 0, state: 'RUNNING', baseline: 'QUICK', params: { IMG_SIZE: 416, ENABLE_HTTP2: true } });
      const failed = sampleMeasurement({ error: { reason: 'stall', message: 'no bytes for 0.2 s' }, accuracy: null });
      await store.addMeasurement(trial.id, sampleMeasurement());
      await store.addMeasurement(trial.id, failed);
      const done = await store.setTrialState(trial.id, { state: 'COMPLETE', value: 1.0, feasible: false, violation: 0.5 });
      expect(done).toMatchObject({ state: 'COMPLETE', value: 1, feasible: false, violation: 0.5 });
      expect(done.finishedAt).not.toBeNull();
      expect(await store.getTrial(study.id, 0)).toEqual(done);
      expect(done).toMatchObject({ workerHost: hostname(), workerPid: process.pid });
      expect(await store.getTrial(study.id, 1)).toBeNull();

      const ms = await store.listMeasurements({ trialId: trial.id });
      expect(ms).toHaveLength(2);
      expect(ms[0]!.timeline).toEqual(sampleMeasurement().timeline);
      expect(ms[1]!.error).toEqual({ reason: 'stall', message: 'no bytes for 0.2 s' });
      expect(await store.listMeasurements({ studyId: study.id })).toEqual(ms);
      expect(await store.listMeasurements({ studyId: study.id, phase: 'confirm' })).toHaveLength(0);

      await store.putVideo({ url: 'https://x/a.mp4', size: 10, etag: '"e"', sha256: null, frames: 50, faststart: true });
      expect(await store.getVideo('https://x/a.mp4')).toMatchObject({ frames: 50, faststart: true });
      expect(await store.getVideo('https://x/none.mp4')).toBeNull();
      await store.putVideo({ url: 'https://x/a.mp4', size: 5_000_000_000, etag: null, sha256: 'ab', frames: 750, faststart: null });
      await store.putVideo({ url: 'https://x/0.mp4', size: null, etag: null, sha256: null, frames: null, faststart: false });
      expect(await store.listVideos()).toEqual([
        { url: 'https://x/0.mp4', size: null, etag: null, sha256: null, frames: null, faststart: false },
        { url: 'https://x/a.mp4', size: 5_000_000_000, etag: null, sha256: 'ab', frames: 750, faststart: null },
      ]);
      await store.putReference('k', { frames: [1, 2] });
      expect(await store.getReference('k')).toEqual({ frames: [1, 2] });
      expect(await store.getReference('missing')).toBeNull();
      await store.putReference('a', [3]);
      await store.putReference('k', { frames: [4] });
      expect(await store.getReference('k')).toEqual({ frames: [4] });
      expect(await store.listReferenceKeys()).toEqual(['a', 'k']);
    });

    it("keeps a measurement's restart-to-ready seconds and answer hash, null when a challenge had none", async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('miner'));
      const trial = (await store.createTrial(study.id, { params: { IMG_SIZE: 320 }, baseline: null }))!;
      const first = await store.addMeasurement(trial.id, sampleMeasurement({ setupS: 2.25, answerHash: 'ab12' }));
      expect(first).toMatchObject({ setupS: 2.25, answerHash: 'ab12' });
      await store.addMeasurement(trial.id, sampleMeasurement());
      expect((await store.listMeasurements({ trialId: trial.id })).map((m) => [m.setupS, m.answerHash])).toEqual([
        [2.25, 'ab12'],
        [null, null],
      ]);
    });

    it('replaces the mutable parts of a study and refuses an unknown one with E_NOT_FOUND', async () => {
      const store = await fresh();
      await store.createStudy(sampleStudy('upd'));
      const created = await store.getStudy('upd');
      const updated = await store.updateStudy('upd', { settings: { repeats: 5 }, netProbe: { rttMs: 9 } });
      expect(updated).toMatchObject({ settings: { repeats: 5 }, netProbe: { rttMs: 9 }, host: { hostname: 'test' } });
      expect(updated.space).toEqual(created!.space);
      const edited = await store.updateStudy('upd', { space: { name: 'edited', params: [] } });
      expect(edited).toMatchObject({ space: { name: 'edited', params: [] }, settings: { repeats: 5 } });
      expect((await store.getStudy('upd'))!.space).toEqual({ name: 'edited', params: [] });
      expect(await codeOf(store.updateStudy('nope', { settings: {} }))).toBe('E_NOT_FOUND');
    });

    it('keeps finished trials immutable; confirm measurements go only to COMPLETE trials', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('imm'));
      const a = (await store.createTrial(study.id, { params: {}, baseline: null }))!;
      await store.setTrialState(a.id, { state: 'COMPLETE', value: 2, feasible: true, violation: 0 });
      expect(await codeOf(store.setTrialState(a.id, { state: 'FAIL', reason: 'x' }))).toBe('E_STORE');
      expect(await codeOf(store.addMeasurement(a.id, sampleMeasurement()))).toBe('E_STORE');
      expect((await store.addMeasurement(a.id, sampleMeasurement({ phase: 'confirm' }))).phase).toBe('confirm');
      expect((await store.addMeasurement(a.id, sampleMeasurement({ phase: 'control', repeat: 4 }))).phase).toBe('control');
      expect((await store.listMeasurements({ trialId: a.id, phase: 'control' })).map((m) => m.repeat)).toEqual([4]);
      expect(await store.getTrial(study.id, a.number)).toMatchObject({ state: 'COMPLETE', value: 2 });

      const b = (await store.createTrial(study.id, { params: {}, baseline: null }))!;
      expect(await codeOf(store.addMeasurement(b.id, sampleMeasurement({ phase: 'confirm' })))).toBe('E_STORE');
      expect(await codeOf(store.addMeasurement(b.id, sampleMeasurement({ phase: 'control' })))).toBe('E_STORE');
      await store.setTrialState(b.id, { state: 'PRUNED', reason: 'interrupted' });
      expect(await codeOf(store.setTrialState(b.id, { state: 'COMPLETE' }))).toBe('E_STORE');
      expect(await codeOf(store.addMeasurement(987654, sampleMeasurement()))).toBe('E_STORE');
    });

    it("keeps why a trial stopped measuring (its verdict) with the finished trial", async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('verdict'));
      const a = (await store.createTrial(study.id, { params: {}, baseline: null }))!;
      expect(a.verdict).toBeNull();
      const verdict = { kind: 'race' as const, challenges: 5, planned: 9, repeats: 3, p: 0.031, vs: 2, normalised: true };
      const dropped = await store.setTrialState(a.id, { state: 'PRUNED', reason: 'dropped by the race', value: 2.5, feasible: true, verdict });
      expect(dropped).toMatchObject({ state: 'PRUNED', value: 2.5, verdict });
      expect((await store.getTrial(study.id, a.number))!.verdict).toEqual(verdict);
      const b = (await store.createTrial(study.id, { params: {}, baseline: null }))!;
      expect((await store.setTrialState(b.id, { state: 'COMPLETE' })).verdict).toBeNull();
    });

    it('numbers trials in order, also when they are created at once', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('many'));
      const trials = await Promise.all(Array.from({ length: 8 }, (_, i) => store.createTrial(study.id, { params: { I: i }, baseline: null })));
      expect(trials.map((t) => t!.number).sort((x, y) => x - y)).toEqual([...Array(8).keys()]);
      expect((await store.listTrials(study.id)).map((t) => t.number)).toEqual([...Array(8).keys()]);
      // Another study numbers its own trials from 0.
      const other = await store.createStudy(sampleStudy('other'));
      expect((await store.createTrial(other.id, { params: {}, baseline: null }))?.number).toBe(0);
    });

    it('fails the RUNNING trials this process left behind, on resume, and numbers on after them', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('resume'));
      const t0 = (await store.createTrial(study.id, { params: { A: 1 }, baseline: null }))!;
      await store.setTrialState(t0.id, { state: 'COMPLETE', value: 1, feasible: true, violation: 0 });
      await store.createTrial(study.id, { params: { A: 2 }, baseline: null });
      expect(await store.failInterruptedTrials(study.id, 'interrupted: process ended while the trial ran')).toEqual([1]);
      const trials = await store.listTrials(study.id);
      expect(trials.map((t) => [t.number, t.state])).toEqual([
        [0, 'COMPLETE'],
        [1, 'FAIL'],
      ]);
      expect(trials[1]!.reason).toMatch(/interrupted/);
      expect(await store.failInterruptedTrials(study.id, 'again')).toEqual([]);
      expect((await store.createTrial(study.id, { params: {}, baseline: null }))?.number).toBe(2);
    });

    it('claims a config: no second RUNNING trial of the same config, whatever the key order; free again once it finished', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('claim'));
      const first = await store.createTrial(study.id, { params: { A: 1, B: 'x' }, baseline: 'QUICK' });
      expect(first?.number).toBe(0);
      expect(await store.createTrial(study.id, { params: { B: 'x', A: 1 }, baseline: null })).toBeNull();
      expect((await store.createTrial(study.id, { params: { A: 2, B: 'x' }, baseline: null }))?.number).toBe(1);
      // Another study's trials do not claim this study's configs.
      const other = await store.createStudy(sampleStudy('claim-other'));
      expect((await store.createTrial(other.id, { params: { A: 1, B: 'x' }, baseline: null }))?.number).toBe(0);
      await store.setTrialState(first!.id, { state: 'COMPLETE', value: 1, feasible: true, violation: 0 });
      expect((await store.createTrial(study.id, { params: { A: 1, B: 'x' }, baseline: null }))?.number).toBe(2);
      expect(await codeOf(store.createTrial(987654, { params: {}, baseline: null }))).toBe('E_STORE');
    });

    it('claims atomically: of creators racing for one config on separate connections, exactly one gets it', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('race'));
      const connections = [store, ...(await Promise.all([1, 2, 3].map(() => again(store))))];
      for (let round = 0; round < 3; round++) {
        const got = await Promise.all(connections.map((c) => c.createTrial(study.id, { params: { ROUND: round }, baseline: null })));
        const winners = got.filter((t) => t !== null);
        expect(winners).toHaveLength(1);
        await store.setTrialState(winners[0]!.id, { state: 'COMPLETE', value: round, feasible: true, violation: 0 });
      }
      expect((await store.listTrials(study.id)).map((t) => t.number)).toEqual([0, 1, 2]);
    });

    it('keeps a trial alive with heartbeats and search measurements; fails the silent ones as stale, once', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('stale'));
      const silent = (await store.createTrial(study.id, { params: { T: 'silent' }, baseline: null }))!;
      const beating = (await store.createTrial(study.id, { params: { T: 'beating' }, baseline: null }))!;
      const measuring = (await store.createTrial(study.id, { params: { T: 'measuring' }, baseline: null }))!;
      const done = (await store.createTrial(study.id, { params: { T: 'done' }, baseline: null }))!;
      await store.setTrialState(done.id, { state: 'COMPLETE', value: 1, feasible: true, violation: 0 });
      await sleep(1500);
      const refreshed = Date.now();
      expect(await store.heartbeat(beating.id)).toBe(true);
      await store.addMeasurement(measuring.id, sampleMeasurement());
      const timeoutS = 1;
      const marked = await store.failStaleTrials(study.id, timeoutS);
      // The silent trial is 1.5 s old; the others were refreshed less than the timeout before the sweep
      // (on a machine so slow that the sweep came later than that, they were stale too: nothing to check).
      if (Date.now() - refreshed < timeoutS * 1000) expect(marked).toEqual([silent.number]);
      else expect(marked).toContain(silent.number);
      const failed = (await store.getTrial(study.id, silent.number))!;
      expect(failed.state).toBe('FAIL');
      expect(failed.reason).toBe(`no heartbeat for more than 1 s from its worker (${hostname()} pid ${process.pid})`);
      expect((await store.getTrial(study.id, beating.number))!.heartbeatAt > beating.heartbeatAt).toBe(true);
      expect((await store.getTrial(study.id, measuring.number))!.heartbeatAt > measuring.heartbeatAt).toBe(true);
      expect((await store.getTrial(study.id, done.number))!.state).toBe('COMPLETE');
      // The worker of a failed trial learns it from its next heartbeat, and cannot write to it any more.
      expect(await store.heartbeat(silent.id)).toBe(false);
      expect(await codeOf(store.addMeasurement(silent.id, sampleMeasurement()))).toBe('E_STORE');
      expect(await codeOf(store.setTrialState(silent.id, { state: 'COMPLETE', value: 1 }))).toBe('E_STORE');
      expect(await codeOf(store.heartbeat(987654))).toBe('E_STORE');
    });

    it('fails each stale trial exactly once when several workers sweep at once', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('sweep'));
      for (let i = 0; i < 6; i++) await store.createTrial(study.id, { params: { I: i }, baseline: null });
      await sleep(300);
      const sweepers = [store, ...(await Promise.all([1, 2, 3].map(() => again(store))))];
      const marked = await Promise.all(sweepers.map((s) => s.failStaleTrials(study.id, 0.1)));
      expect(marked.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
      expect((await store.listTrials(study.id)).every((t) => t.state === 'FAIL')).toBe(true);
      expect(await store.failStaleTrials(study.id, 0)).toEqual([]);
    });

    it('three worker processes on one study: distinct numbers, no trial lost, no config running twice at once', async () => {
      const store = await fresh();
      const workers = ['a', 'b', 'c'];
      const count = 30;
      const runs = await Promise.all(
        workers.map((label) => execa('node', ['--import', 'tsx', fleetWorker, store.path, label, String(count), '4'], { reject: false })),
      );
      for (const run of runs) expect(run.stderr).toBe('');
      for (const run of runs) expect(run.exitCode).toBe(0);
      const reports = runs.map((run) => JSON.parse(String(run.stdout)) as { created: number; refused: number; overlaps: number });
      expect(reports.map((r) => r.overlaps)).toEqual([0, 0, 0]);
      expect(reports.map((r) => r.created + r.refused)).toEqual([count, count, count]);
      const study = (await store.getStudy('fleet'))!;
      const trials = await store.listTrials(study.id);
      const created = reports.reduce((sum, r) => sum + r.created, 0);
      expect(trials.map((t) => t.number)).toEqual([...Array(created).keys()]);
      expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
      const measurements = await store.listMeasurements({ studyId: study.id });
      expect(measurements).toHaveLength(created);
      expect(new Set(measurements.map((m) => m.trialId)).size).toBe(created);
    });

    it('hands a reader only what is new: trials past a number or held as RUNNING, measurements past an id', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('since'));
      const other = await store.createStudy(sampleStudy('other'));
      const a = (await store.createTrial(study.id, { params: { A: 1 }, baseline: null }))!;
      const b = (await store.createTrial(study.id, { params: { A: 2 }, baseline: null }))!;
      const m1 = await store.addMeasurement(a.id, sampleMeasurement());
      await store.setTrialState(a.id, { state: 'COMPLETE', value: 1, feasible: true, violation: 0 });
      const otherTrial = (await store.createTrial(other.id, { params: { A: 1 }, baseline: null }))!;
      await store.addMeasurement(otherTrial.id, sampleMeasurement());
      // A reader that has trials 0 (COMPLETE) and 1 (RUNNING) and measurement m1.
      expect(await store.listTrials(study.id, { number: 1, ids: [b.id] })).toMatchObject([{ number: 1, state: 'RUNNING' }]);
      await store.setTrialState(b.id, { state: 'FAIL', reason: 'x' });
      const c = (await store.createTrial(study.id, { params: { A: 3 }, baseline: null }))!;
      const m2 = await store.addMeasurement(c.id, sampleMeasurement());
      const m3 = await store.addMeasurement(a.id, sampleMeasurement({ phase: 'confirm' }));
      const news = await store.listTrials(study.id, { number: 1, ids: [b.id] });
      expect(news.map((t) => [t.number, t.state])).toEqual([[1, 'FAIL'], [2, 'RUNNING']]);
      expect(await store.listTrials(study.id, { number: 2, ids: [] })).toEqual([]);
      expect((await store.listMeasurements({ studyId: study.id, afterId: m1.id })).map((m) => m.id)).toEqual([m2.id, m3.id]);
      expect(await store.listMeasurements({ studyId: study.id, afterId: m3.id })).toEqual([]);
      expect((await store.listMeasurements({ studyId: study.id, afterId: 0 })).map((m) => m.id)).toEqual([m1.id, m2.id, m3.id]);
    });

    it('makes measurements visible in id order: a reader paging with afterId while workers write misses none', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('paging'));
      const writers = [store, ...(await Promise.all([1, 2, 3].map(() => again(store))))];
      const reader = await again(store);
      const trials = await Promise.all(writers.map((_, i) => store.createTrial(study.id, { params: { W: i }, baseline: null })));
      let writing = true;
      const written = Promise.all(
        writers.map(async (w, i) => {
          for (let k = 0; k < 40; k++) await w.addMeasurement(trials[i]!.id, sampleMeasurement({ repeat: k + 1 }));
        }),
      ).finally(() => (writing = false));
      const seen: number[] = [];
      let after = 0;
      const page = async () => {
        for (const m of await reader.listMeasurements({ studyId: study.id, afterId: after })) {
          seen.push(m.id);
          after = m.id;
        }
      };
      while (writing) await page();
      await written;
      await page();
      const all = (await store.listMeasurements({ studyId: study.id })).map((m) => m.id);
      expect(all).toHaveLength(160);
      expect(seen).toEqual(all);
    });

    it('claims a piece of shared work once: later callers get the holder; the holder renews; a stale claim is taken over', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('claims'));
      const others = await Promise.all([1, 2, 3].map(() => again(store)));
      const first = await store.claim(study.id, 'race:7', 60);
      expect(first).toMatchObject({ name: 'race:7', workerHost: hostname(), workerPid: process.pid, won: true });
      // This process holds it: claiming again renews it, on any connection.
      await sleep(20);
      const renewed = await others[0]!.claim(study.id, 'race:7', 60);
      expect(renewed.won).toBe(true);
      expect(renewed.heartbeatAt > first.heartbeatAt).toBe(true);
      // Processes racing for a fresh name (alive while they answer): exactly one wins, each learns who holds it.
      const workers = [1, 2, 3].map(() => execa('node', ['--import', 'tsx', claimWorker, store.path, 'claims', 'control:1', '60', 'hold']));
      try {
        const lines = await Promise.all(workers.map((w) => new Promise<string>((resolve) => w.stdout.once('data', (chunk: Buffer) => resolve(String(chunk))))));
        const answers = lines.map((line) => JSON.parse(line) as { won: boolean; workerPid: number });
        expect(answers.filter((a) => a.won)).toHaveLength(1);
        const winner = answers.find((a) => a.won)!.workerPid;
        expect(new Set(answers.map((a) => a.workerPid))).toEqual(new Set([winner]));
        expect(await store.claim(study.id, 'control:1', 60)).toMatchObject({ won: false, workerPid: winner });
      } finally {
        for (const w of workers) w.kill('SIGKILL');
        await Promise.all(workers.map((w) => w.catch(() => {})));
      }
      // The winner's process has ended: a process of this host takes its claim over at once.
      expect(await store.claim(study.id, 'control:1', 3600)).toMatchObject({ won: true, workerPid: process.pid });
      // A live holder that stopped renewing keeps its claim until it is older than the stale time.
      const holder = execa('node', ['--import', 'tsx', claimWorker, store.path, 'claims', 'race:9', '60', 'hold']);
      try {
        const line = await new Promise<string>((resolve) => holder.stdout.once('data', (chunk: Buffer) => resolve(String(chunk))));
        const held = JSON.parse(line) as { won: boolean; workerPid: number };
        expect(held.won).toBe(true);
        expect(await store.claim(study.id, 'race:9', 60)).toMatchObject({ won: false, workerPid: held.workerPid });
        await sleep(1200);
        expect(await store.claim(study.id, 'race:9', 1)).toMatchObject({ won: true, workerPid: process.pid });
      } finally {
        holder.kill('SIGKILL');
        await holder.catch(() => {});
      }
      expect(await codeOf(store.claim(999999, 'race:1', 60))).toBe('E_STORE');
    });

    it('imports a whole study as it was: numbers, states, times, measurements in their order', async () => {
      const store = await fresh();
      const study = await store.createStudy({ ...sampleStudy('orig'), netProbe: { rttMs: 2 } });
      const a = (await store.createTrial(study.id, { params: { A: 1 }, baseline: 'QUICK' }))!;
      const b = (await store.createTrial(study.id, { params: { A: 2 }, baseline: null }))!;
      await store.addMeasurement(a.id, sampleMeasurement({ repeat: 1, setupS: 2.25, answerHash: 'ab12' }));
      await store.addMeasurement(b.id, sampleMeasurement({ repeat: 1, error: { reason: 'stall', message: 'x' }, accuracy: null }));
      await store.setTrialState(a.id, { state: 'COMPLETE', value: 0.9, feasible: true, violation: 0 });
      await store.setTrialState(b.id, { state: 'FAIL', reason: 'every challenge failed' });
      await store.addMeasurement(a.id, sampleMeasurement({ phase: 'confirm', repeat: 1 }));
      await store.createTrial(study.id, { params: { A: 3 }, baseline: null });

      const dump = await dumpOf(store, 'orig');
      const target = await fresh();
      const imported = await target.importStudy(dump);
      expect(imported.name).toBe('orig');
      expect(await dumpOf(target, 'orig')).toEqual(dump);
      expect(dump.measurements[0]).toMatchObject({ setupS: 2.25, answerHash: 'ab12' });
      expect(await codeOf(target.importStudy(dump))).toBe('E_STUDY');
      // An imported RUNNING trial still holds its config's claim; numbering goes on after the last.
      const copy = (await target.getStudy('orig'))!;
      expect(await target.createTrial(copy.id, { params: { A: 3 }, baseline: null })).toBeNull();
      expect((await target.createTrial(copy.id, { params: { A: 4 }, baseline: null }))?.number).toBe(3);
    });
  });
}
