// The Storage contract, for every backend: `storageConformance(name, open)` registers the tests; `open`
// returns a fresh, empty store each time. A backend's own test file runs it unchanged, beside the
// tests of what only that backend has (files, locks, connections).

import { afterEach, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import type { Storage } from '../../src/store/index.js';
import { sampleMeasurement, sampleStudy } from './store-fixtures.js';

/** The code of the AutotuneError a promise rejects with; 'untyped: ...' for another error, undefined if it resolves. */
export async function codeOf(pending: Promise<unknown>): Promise<string | undefined> {
  try {
    await pending;
  } catch (err) {
    return err instanceof AutotuneError ? err.code : `untyped: ${String(err)}`;
  }
  return undefined;
}

export function storageConformance(name: string, open: () => Promise<Storage>): void {
  describe(`Storage contract: ${name}`, () => {
    const opened: Storage[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
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

      const trial = await store.createTrial(study.id, { params: { IMG_SIZE: 416, ENABLE_HTTP2: true }, baseline: 'QUICK' });
      expect(trial).toMatchObject({ number: 0, state: 'RUNNING', baseline: 'QUICK', params: { IMG_SIZE: 416, ENABLE_HTTP2: true } });
      const failed = sampleMeasurement({ error: { reason: 'stall', message: 'no bytes for 0.2 s' }, accuracy: null });
      await store.addMeasurement(trial.id, sampleMeasurement());
      await store.addMeasurement(trial.id, failed);
      const done = await store.setTrialState(trial.id, { state: 'COMPLETE', value: 1.0, feasible: false, violation: 0.5 });
      expect(done).toMatchObject({ state: 'COMPLETE', value: 1, feasible: false, violation: 0.5 });
      expect(done.finishedAt).not.toBeNull();
      expect(await store.getTrial(study.id, 0)).toEqual(done);
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
      await store.putReference('k', { frames: [1, 2] });
      expect(await store.getReference('k')).toEqual({ frames: [1, 2] });
      expect(await store.getReference('missing')).toBeNull();
    });

    it('replaces the mutable parts of a study and refuses an unknown one with E_NOT_FOUND', async () => {
      const store = await fresh();
      await store.createStudy(sampleStudy('upd'));
      const updated = await store.updateStudy('upd', { settings: { repeats: 5 }, netProbe: { rttMs: 9 } });
      expect(updated).toMatchObject({ settings: { repeats: 5 }, netProbe: { rttMs: 9 }, host: { hostname: 'test' } });
      expect(await codeOf(store.updateStudy('nope', { settings: {} }))).toBe('E_NOT_FOUND');
    });

    it('keeps finished trials immutable; confirm measurements go only to COMPLETE trials', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('imm'));
      const a = await store.createTrial(study.id, { params: {}, baseline: null });
      await store.setTrialState(a.id, { state: 'COMPLETE', value: 2, feasible: true, violation: 0 });
      expect(await codeOf(store.setTrialState(a.id, { state: 'FAIL', reason: 'x' }))).toBe('E_STORE');
      expect(await codeOf(store.addMeasurement(a.id, sampleMeasurement()))).toBe('E_STORE');
      expect((await store.addMeasurement(a.id, sampleMeasurement({ phase: 'confirm' }))).phase).toBe('confirm');
      expect((await store.addMeasurement(a.id, sampleMeasurement({ phase: 'control', repeat: 4 }))).phase).toBe('control');
      expect((await store.listMeasurements({ trialId: a.id, phase: 'control' })).map((m) => m.repeat)).toEqual([4]);
      expect(await store.getTrial(study.id, a.number)).toMatchObject({ state: 'COMPLETE', value: 2 });

      const b = await store.createTrial(study.id, { params: {}, baseline: null });
      expect(await codeOf(store.addMeasurement(b.id, sampleMeasurement({ phase: 'confirm' })))).toBe('E_STORE');
      expect(await codeOf(store.addMeasurement(b.id, sampleMeasurement({ phase: 'control' })))).toBe('E_STORE');
      await store.setTrialState(b.id, { state: 'PRUNED', reason: 'interrupted' });
      expect(await codeOf(store.setTrialState(b.id, { state: 'COMPLETE' }))).toBe('E_STORE');
      expect(await codeOf(store.addMeasurement(987654, sampleMeasurement()))).toBe('E_STORE');
    });

    it("keeps why a trial stopped measuring (its verdict) with the finished trial", async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('verdict'));
      const a = await store.createTrial(study.id, { params: {}, baseline: null });
      expect(a.verdict).toBeNull();
      const verdict = { kind: 'race' as const, challenges: 5, planned: 9, repeats: 3, p: 0.031, vs: 2, normalised: true };
      const dropped = await store.setTrialState(a.id, { state: 'PRUNED', reason: 'dropped by the race', value: 2.5, feasible: true, verdict });
      expect(dropped).toMatchObject({ state: 'PRUNED', value: 2.5, verdict });
      expect((await store.getTrial(study.id, a.number))!.verdict).toEqual(verdict);
      const b = await store.createTrial(study.id, { params: {}, baseline: null });
      expect((await store.setTrialState(b.id, { state: 'COMPLETE' })).verdict).toBeNull();
    });

    it('numbers trials in order, also when they are created at once', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('many'));
      const trials = await Promise.all(Array.from({ length: 8 }, (_, i) => store.createTrial(study.id, { params: { I: i }, baseline: null })));
      expect(trials.map((t) => t.number).sort((x, y) => x - y)).toEqual([...Array(8).keys()]);
      expect((await store.listTrials(study.id)).map((t) => t.number)).toEqual([...Array(8).keys()]);
      // Another study numbers its own trials from 0.
      const other = await store.createStudy(sampleStudy('other'));
      expect((await store.createTrial(other.id, { params: {}, baseline: null })).number).toBe(0);
    });

    it('fails the RUNNING trials this process left behind, on resume, and numbers on after them', async () => {
      const store = await fresh();
      const study = await store.createStudy(sampleStudy('resume'));
      const t0 = await store.createTrial(study.id, { params: { A: 1 }, baseline: null });
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
      expect((await store.createTrial(study.id, { params: {}, baseline: null })).number).toBe(2);
    });
  });
}
