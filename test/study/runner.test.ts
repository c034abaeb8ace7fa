import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { STOPS_STUDY } from '../../src/pipeline/failure.js';
import { challengeResult } from '../../src/pipeline/result.js';
import type { Config, VideoRef } from '../../src/pipeline/types.js';
import { openStorage, type Storage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';
import { rankTrials } from '../../src/study/ranking.js';
import { noWinnerReport } from '../../src/study/report.js';
import { runStudy, type RunStudyOptions } from '../../src/study/runner.js';
import { fakeSampler, fakeSpace, FakeEvaluator, listSampler, type FakeBehaviour } from './fixtures/fake-evaluator.js';

const stores: Storage[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const videos = [{ url: 'https://lab/v1.mp4' }, { url: 'https://lab/v2.mp4' }];
const baselines = [
  { name: 'DEFAULT', config: { SPEED: 5, ACC: 1, TAG: 'default' } },
  { name: 'QUICK', config: { SPEED: 3, ACC: 1, TAG: 'quick' } },
];

async function setup(behaviour: FakeBehaviour = {}, objective: 'fastest-safe' | 'sn44' = 'fastest-safe') {
  const storage = await openStorage(join(mkdtempSync(join(tmpdir(), 'autotune-runner-')), 'a.db'));
  stores.push(storage);
  const { study } = await openStudy(storage, {
    name: 'runner',
    spaceFile: 'fake.yaml',
    space: {},
    objective: { kind: objective, accuracyFloor: 0.98, tMin: 2 },
    settings: {},
    host: {},
  });
  const evaluator = new FakeEvaluator(behaviour);
  const options: RunStudyOptions = {
    storage,
    study,
    evaluator,
    videos,
    space: fakeSpace,
    baselines,
    sampler: fakeSampler,
    seed: 7,
    trials: 4,
    timeLimitMs: null,
    repeats: 2,
    confirmTop: 2,
    confirmRepeats: 0,
  };
  return { storage, study, evaluator, options };
}

describe('study runner', () => {
  it('measures the baselines first, then sampled trials, interleaving videos across repeats', async () => {
    const { storage, study, evaluator, options } = await setup();
    const result = await runStudy(options);
    const trials = (await storage.listTrials(study.id));
    expect(trials.map((t) => t.baseline)).toEqual(['DEFAULT', 'QUICK', null, null, null, null]);
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(result.trialsRun).toBe(6);
    expect(result.stopReason).toBe('trials');
    // Trial 0: v1 r1, v2 r1, v1 r2, v2 r2.
    expect(evaluator.calls.slice(0, 4).map((c) => c.url)).toEqual(['https://lab/v1.mp4', 'https://lab/v2.mp4', 'https://lab/v1.mp4', 'https://lab/v2.mp4']);
    expect(evaluator.calls.slice(0, 4).every((c) => c.config.TAG === 'default')).toBe(true);
    const ms = (await storage.listMeasurements({ trialId: trials[0]!.id }));
    expect(ms.map((m) => [m.videoUrl.slice(-6), m.repeat, m.phase])).toEqual([
      ['v1.mp4', 1, 'search'],
      ['v2.mp4', 1, 'search'],
      ['v1.mp4', 2, 'search'],
      ['v2.mp4', 2, 'search'],
    ]);
    expect((await storage.listMeasurements({ studyId: study.id }))).toHaveLength(6 * 4);
    // Re-running the study does not measure the baselines again; --trials counts the study's sampled trials in all.
    expect((await runStudy({ ...options, trials: 4 })).trialsRun).toBe(0);
    const again = await runStudy({ ...options, trials: 5 });
    expect(again.trialsRun).toBe(1);
    expect((await storage.listTrials(study.id)).at(-1)).toMatchObject({ number: 6, baseline: null });
  });

  it('computes the objective from medians and marks accuracy below the floor infeasible', async () => {
    const { storage, study, options } = await setup({
      time: (c, v) => Number(c.SPEED) / 10 + (v.url.endsWith('v2.mp4') ? 1 : 0),
      accuracy: (c) => (c.ACC === 1 ? 0.99 : 0.9),
    });
    await runStudy({
      ...options,
      sampler: listSampler([
        { SPEED: 1, ACC: 0 },
        { SPEED: 2, ACC: 1 },
      ]),
    });
    const trials = (await storage.listTrials(study.id));
    const inaccurate = trials.find((t) => t.params.SPEED === 1)!;
    const accurate = trials.find((t) => t.params.SPEED === 2)!;
    expect(inaccurate).toMatchObject({ state: 'COMPLETE', feasible: false });
    expect(inaccurate.reason).toMatch(/accuracy 0\.900 < floor 0\.98/);
    expect(inaccurate.violation).toBeCloseTo(0.08, 10);
    // Totals 0.2, 1.2, 0.2, 1.2 -> median 0.7.
    expect(accurate).toMatchObject({ state: 'COMPLETE', feasible: true, violation: 0 });
    expect(accurate.value).toBeCloseTo(0.7, 10);
    const ranking = rankTrials(trials, (await storage.listMeasurements({ studyId: study.id })), study.objective);
    expect(ranking[0]!.number).toBe(accurate.number);
    expect(ranking.at(-1)!.number).toBe(inaccurate.number);
    expect(ranking[0]!.speedup.DEFAULT).toBeCloseTo(1.0 / 0.7, 10);
  });

  it('a trial with a failed challenge is infeasible; the sn44 objective maximises', async () => {
    const { storage, study, options } = await setup(
      { fail: (c, v, call) => (c.SPEED === 0 && call === 1 ? 'no bytes for 0.2 s' : null) },
      'sn44',
    );
    const result = await runStudy({ ...options, sampler: listSampler([{ SPEED: 0, ACC: 1 }, { SPEED: 1, ACC: 1 }]) });
    const flaky = (await storage.listTrials(study.id)).find((t) => t.params.SPEED === 0)!;
    expect(flaky).toMatchObject({ state: 'COMPLETE', feasible: false });
    expect(flaky.reason).toMatch(/1\/4 challenges failed \(stall x1\)/);
    // Highest sn44 = fastest feasible: SPEED 1 beats the baselines (SPEED 3, 5).
    expect(result.winner?.params.SPEED).toBe(1);
  });

  it('the confirmation race re-measures the top trials with the baselines and decides the winner', async () => {
    // LUCKY is fastest on its first 4 challenges, then slow; STEADY is always fairly fast.
    const { storage, study, options } = await setup({
      time: (c, _v, call) => (c.NAME === 'LUCKY' ? (call < 4 ? 0.5 : 3) : c.NAME === 'STEADY' ? 0.8 : Number(c.SPEED)),
    });
    const result = await runStudy({
      ...options,
      sampler: listSampler([
        { NAME: 'LUCKY', SPEED: 0, ACC: 1 },
        { NAME: 'STEADY', SPEED: 0, ACC: 1 },
        { NAME: 'SLOW', SPEED: 9, ACC: 1 },
      ]),
      confirmTop: 2,
      confirmRepeats: 3,
    });
    const trials = (await storage.listTrials(study.id));
    const number = (name: string) => trials.find((t) => t.params.NAME === name)!.number;
    // Search ranking would pick LUCKY; the race picks STEADY.
    expect(trials.find((t) => t.params.NAME === 'LUCKY')!.value).toBeLessThan(trials.find((t) => t.params.NAME === 'STEADY')!.value!);
    expect(result.raced.sort()).toEqual([0, 1, number('LUCKY'), number('STEADY')].sort());
    expect(result.winner).toMatchObject({ number: number('STEADY'), phase: 'confirm', feasible: true });
    const confirm = (await storage.listMeasurements({ studyId: study.id, phase: 'confirm' }));
    expect(confirm).toHaveLength(4 * 2 * 3);
    expect(result.stopReason).toBe('exhausted');
    // The race interleaves: the first 4 confirm challenges are one per contender on video 1.
    expect(new Set(confirm.slice(0, 4).map((m) => m.trialId)).size).toBe(4);
    expect(new Set(confirm.slice(0, 4).map((m) => m.videoUrl))).toEqual(new Set(['https://lab/v1.mp4']));
    const lucky = result.ranking.find((r) => r.number === number('LUCKY'))!;
    expect(lucky.tiedWithBest).toBe(false);
    expect(lucky.pVsBest).toBeLessThan(0.05);
  });

  it('flags trials indistinguishable from the best as tied, and clearly slower ones as not', async () => {
    const { storage, study, options } = await setup({
      // Same spread for TWIN and BEST; SLOWER is 50% slower.
      time: (c, _v, call) => (c.NAME === 'SLOWER' ? 1.5 : 1) + (call % 3) * 0.01,
    });
    await runStudy({
      ...options,
      baselines: [],
      repeats: 3,
      sampler: listSampler([
        { NAME: 'BEST', ACC: 1 },
        { NAME: 'TWIN', ACC: 1 },
        { NAME: 'SLOWER', ACC: 1 },
      ]),
    });
    const ranking = rankTrials((await storage.listTrials(study.id)), (await storage.listMeasurements({ studyId: study.id })), study.objective);
    const byName = (n: string) => ranking.find((r) => r.params.NAME === n)!;
    expect(byName('BEST').rank).toBe(1);
    expect(byName('BEST').tiedWithBest).toBe(true);
    expect(byName('TWIN').tiedWithBest).toBe(true);
    expect(byName('TWIN').pVsBest).toBeGreaterThanOrEqual(0.05);
    expect(byName('SLOWER').tiedWithBest).toBe(false);
    expect(byName('SLOWER').rank).toBe(3);
    expect(byName('BEST').interval).not.toBeNull();
  });

  it('an evaluator that restarts per config gets each contender of the race back to back: one switch per contender and round', async () => {
    const configs = [
      { NAME: 'A', SPEED: 1, ACC: 1 },
      { NAME: 'B', SPEED: 2, ACC: 1 },
    ];
    const rotating = await setup();
    await runStudy({ ...rotating.options, sampler: listSampler(configs), confirmTop: 2, confirmRepeats: 2 });
    const restarting = await setup({ switching: 'restart' });
    await runStudy({ ...restarting.options, sampler: listSampler(configs), confirmTop: 2, confirmRepeats: 2 });
    const raceOf = (e: FakeEvaluator) => e.calls.slice(-4 * 2 * 2);
    // 4 contenders (2 baselines + A, B), 2 videos, 2 rounds.
    const restartRace = raceOf(restarting.evaluator);
    expect(restartRace.map((c) => c.url).slice(0, 4)).toEqual(['https://lab/v1.mp4', 'https://lab/v2.mp4', 'https://lab/v1.mp4', 'https://lab/v2.mp4']);
    const switchesIn = (calls: { config: unknown }[]) => calls.filter((c, i) => i > 0 && JSON.stringify(c.config) !== JSON.stringify(calls[i - 1]!.config)).length;
    expect(switchesIn(restartRace)).toBe(4 * 2 - 1);
    expect(switchesIn(raceOf(rotating.evaluator))).toBeGreaterThan(4 * 2);
    // Both races measure the same challenges.
    const count = (e: FakeEvaluator) => raceOf(e).map((c) => `${JSON.stringify(c.config)} ${c.url}`).sort();
    expect(count(restarting.evaluator)).toEqual(count(rotating.evaluator));
  });

  it('--require-reproducible: a trial whose repeated answers on a video differ is infeasible, and the store keeps the hashes', async () => {
    const behaviour: FakeBehaviour = { hash: (c, v, call) => (c.NAME === 'FLAKY' && v.url.endsWith('v2.mp4') ? `h${call}` : `h-${v.url}`) };
    const configs = [
      { NAME: 'FLAKY', SPEED: 0, ACC: 1 },
      { NAME: 'STEADY', SPEED: 1, ACC: 1 },
    ];
    const strict = await setup(behaviour);
    const objective = { ...strict.study.objective, requireReproducible: true };
    const result = await runStudy({ ...strict.options, study: { ...strict.study, objective }, baselines: [], sampler: listSampler(configs) });
    const flaky = result.ranking.find((r) => r.params.NAME === 'FLAKY')!;
    expect(flaky).toMatchObject({ feasible: false, reproducible: false });
    expect(flaky.why).toBe('answers differ between repeats (1 video(s))');
    expect(result.ranking.find((r) => r.params.NAME === 'STEADY')).toMatchObject({ feasible: true, reproducible: true });
    expect(result.winner?.params.NAME).toBe('STEADY');
    const stored = await strict.storage.listMeasurements({ studyId: strict.study.id });
    expect(stored.filter((m) => m.videoUrl.endsWith('v2.mp4')).map((m) => m.answerHash)).toContain('h1');

    // Without the constraint the faster, non-reproducible trial wins, but its figures still say so.
    const lax = await setup(behaviour);
    const laxResult = await runStudy({ ...lax.options, baselines: [], sampler: listSampler(configs) });
    expect(laxResult.winner).toMatchObject({ reproducible: false });
    expect(laxResult.winner?.params.NAME).toBe('FLAKY');
  });

  it('a study whose every trial fails ends with a report of the reasons, not an exception', async () => {
    const { storage, study, options } = await setup({ fail: () => 'connection reset by peer' });
    const result = await runStudy({ ...options, trials: 2, confirmRepeats: 3 });
    expect(result.winner).toBeNull();
    expect(result.raced).toEqual([]);
    const trials = (await storage.listTrials(study.id));
    expect(trials.every((t) => t.state === 'FAIL')).toBe(true);
    expect(trials[0]!.reason).toBe('every challenge failed: stall x4; first: stall: connection reset by peer');
    const report = noWinnerReport(result.ranking)!;
    expect(report).toContain('every trial failed (4 trials, 16/16 challenges failed)');
    expect(report).toContain('failure reasons: stall x16');
    expect(report).toContain('example failure: stall: connection reset by peer');
  });

  it('a study with no accurate enough trial says how close it came', async () => {
    const { options } = await setup({ accuracy: () => 0.9 });
    const result = await runStudy({ ...options, trials: 1 });
    const report = noWinnerReport(result.ranking)!;
    expect(report).toContain('no feasible trial among 3 (0/12 challenges failed)');
    expect(report).toMatch(/3 x accuracy 0\.900 < floor 0\.98/);
    expect(report).toMatch(/highest accuracy reached: 0\.900 \(trial \d+\); .*lower --accuracy-floor/);
  });

  it('an evaluator that throws yields a failed measurement, not a crashed study', async () => {
    const { storage, study, options } = await setup();
    const evaluator = { evaluate: async () => Promise.reject(new Error('boom')), close: async () => {} };
    const result = await runStudy({ ...options, evaluator, trials: 0 });
    expect(result.winner).toBeNull();
    const ms = (await storage.listMeasurements({ studyId: study.id }));
    expect(ms[0]!.error).toEqual({ reason: 'internal', message: 'boom' });
  });

  it('stops after the current challenge when told to, keeping what finished', async () => {
    const { storage, study, evaluator, options } = await setup();
    const stop = new AbortController();
    const result = await runStudy({
      ...options,
      stop: stop.signal,
      events: {
        challenge: () => {
          if (evaluator.calls.length === 6) stop.abort(); // in trial 1, after 2 of its 4 challenges
        },
      },
    });
    expect(result.stopReason).toBe('interrupted');
    const trials = (await storage.listTrials(study.id));
    expect(trials.map((t) => t.state)).toEqual(['COMPLETE', 'PRUNED']);
    expect(trials[1]!.reason).toBe('interrupted by the user after 2/4 challenges');
    expect((await storage.listMeasurements({ trialId: trials[1]!.id }))).toHaveLength(2);
    expect(evaluator.calls).toHaveLength(6);
  });

  it('a second Ctrl-C cuts the challenge short: nothing of it is stored, the trial is interrupted (not failed) and not counted', async () => {
    const { storage, study, evaluator, options } = await setup();
    const stop = new AbortController();
    const abort = new AbortController();
    const cutShort = {
      switching: 'free' as const,
      close: async () => {},
      evaluate: async (config: Config, video: VideoRef, signal?: AbortSignal) => {
        // The first challenge of trial 2, the first sampled one: both Ctrl-Cs arrive while it runs, and
        // it ends as the pipeline's does.
        if (evaluator.calls.length === 8) {
          evaluator.calls.push({ config, url: video.url });
          stop.abort();
          abort.abort();
          expect(signal?.aborted).toBe(true);
          return challengeResult(video.url, config, { error: { reason: 'internal', message: 'the challenge was aborted' } });
        }
        return evaluator.evaluate(config, video);
      },
    };
    const result = await runStudy({ ...options, evaluator: cutShort, stop: stop.signal, abort: abort.signal });
    expect(result.stopReason).toBe('interrupted');
    const trials = await storage.listTrials(study.id);
    expect(trials.map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'PRUNED']);
    expect(trials[2]!.reason).toBe('interrupted by the user after 0/4 challenges');
    expect(trials[2]!.verdict?.kind).toBe('interrupted');
    expect(await storage.listMeasurements({ trialId: trials[2]!.id })).toEqual([]);
    // The resumed study measures every sampled trial it was asked for: the interrupted one is not one of them.
    const resumed = await runStudy({ ...options, evaluator });
    expect(resumed.trialsRun).toBe(4);
    expect((await storage.listTrials(study.id)).filter((t) => t.state === 'FAIL')).toEqual([]);
  });

  it('a trial failed by an error that stops the whole study does not count against --trials', async () => {
    const { storage, study, evaluator, options } = await setup();
    const broken = {
      switching: 'free' as const,
      close: async () => {},
      evaluate: async (config: Config, video: VideoRef) => {
        // Trial 2's first challenge, the first sampled one: the table lacks its row (as --replay-missing error).
        if (evaluator.calls.length === 8) throw new AutotuneError('E_REPLAY', 'replay table t.csv has no row for config X', { context: { [STOPS_STUDY]: true } });
        return evaluator.evaluate(config, video);
      },
    };
    await expect(runStudy({ ...options, evaluator: broken })).rejects.toThrow(/has no row for config X/);
    expect((await storage.listTrials(study.id)).map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'FAIL']);
    // Fixed, the study runs its 4 sampled trials: the failed one was not the config's doing.
    expect((await runStudy({ ...options, evaluator })).trialsRun).toBe(4);
  });

  it('a stop during a trial\'s last challenge keeps the trial whole', async () => {
    const { storage, study, evaluator, options } = await setup();
    const stop = new AbortController();
    await runStudy({
      ...options,
      stop: stop.signal,
      events: {
        challenge: () => {
          if (evaluator.calls.length === 8) stop.abort(); // trial 1's 4th and last challenge
        },
      },
    });
    const trials = await storage.listTrials(study.id);
    expect(trials.map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE']);
    expect(trials[1]!.verdict?.kind).toBe('planned');
  });

  it('respects a time limit', async () => {
    const { storage, study, options } = await setup();
    let clock = 0;
    const result = await runStudy({
      ...options,
      trials: null,
      timeLimitMs: 2500,
      now: () => clock,
      events: { trialEnd: () => (clock += 1000) },
    });
    expect(result.stopReason).toBe('time-limit');
    expect((await storage.listTrials(study.id))).toHaveLength(3);
  });
});
