// Warm starts: a study seeded from another study of the same store measures that study's best
// configs first (after its baselines), its sampler learns from the other study's trials (TPE's first
// proposals are not a cold start's), and its ranking counts only its own trials. Real SQLite files,
// the replay evaluator on the planted table, the real runner and samplers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAutotuneError } from '../../src/errors.js';
import { ReplayEvaluator } from '../../src/replay/evaluator.js';
import { fitTable } from '../../src/replay/fit.js';
import { parseReplayTable } from '../../src/replay/read.js';
import { createSampler, loadSpace, type SamplerName, type TrialSummary } from '../../src/search/index.js';
import { openStorage, type Storage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';
import { runStudy } from '../../src/study/runner.js';
import { foreignHistory, loadWarmStart, type WarmStart } from '../../src/study/warm-start.js';
import { PLANTED_SPACE, plantedTable, VIDEOS } from '../replay/fixtures/planted.js';

const space = loadSpace(PLANTED_SPACE);
const stores: Storage[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function store(): Promise<Storage> {
  const storage = await openStorage(join(mkdtempSync(join(tmpdir(), 'autotune-warm-')), 'w.db'));
  stores.push(storage);
  return storage;
}

async function study(storage: Storage, name: string, o: { seed: number; trials: number; sampler?: SamplerName; warmStart?: WarmStart }) {
  const { study: record } = await openStudy(storage, {
    name, spaceFile: PLANTED_SPACE, space, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: {}, host: {},
  });
  const evaluator = new ReplayEvaluator(fitTable(parseReplayTable(plantedTable(), 't.csv'), space), { seed: o.seed, missing: 'error', tMin: 2 });
  await runStudy({
    storage, study: record, evaluator, videos: VIDEOS.map((url) => ({ url })), space, baselines: space.baselines,
    sampler: createSampler(o.sampler ?? 'tpe'), seed: o.seed, trials: o.trials, timeLimitMs: null, repeats: 2, confirmTop: 0, confirmRepeats: 0,
    warmStart: o.warmStart,
  });
  return { record, trials: await storage.listTrials(record.id) };
}

const sampled = (trials: { baseline: string | null; params: object }[]) => trials.filter((t) => t.baseline === null).map((t) => t.params);

describe('warm start', () => {
  it("measures the source study's best configs first, best first, and ranks only its own trials", async () => {
    const storage = await store();
    await study(storage, 'source', { seed: 3, trials: 7, sampler: 'grid' });
    const warm = await loadWarmStart(storage, 'source', 'warm', space, 3);
    // The source's best feasible sampled configs: 480 with streaming (from 2, from 1), then 480 without it.
    expect(warm.top.map((t) => t.params)).toEqual([
      { SIZE: 480, STREAM: 1, START: 2, POOL: 1 },
      { SIZE: 480, STREAM: 1, START: 1, POOL: 1 },
      { SIZE: 480, STREAM: 0, POOL: 1 },
    ]);
    expect(warm.history.trials.length).toBe(8);
    const { trials } = await study(storage, 'warm', { seed: 3, trials: 5, warmStart: warm });
    expect(trials[0]!.baseline).toBe('slow-default');
    expect(sampled(trials).slice(0, 3)).toEqual(warm.top.map((t) => t.params));
    // Nothing of the source is a trial of this study.
    expect(trials).toHaveLength(6);
  });

  it("TPE's first proposals after a warm start differ from a cold start's with the same seed", async () => {
    let differ = 0;
    for (const seed of [1, 2, 3, 4]) {
      const storage = await store();
      await study(storage, 'source', { seed, trials: 7, sampler: 'grid' });
      const cold = sampled((await study(storage, 'cold', { seed, trials: 2 })).trials);
      const warm = sampled((await study(storage, 'warm', { seed, trials: 2, warmStart: await loadWarmStart(storage, 'source', 'warm', space, 0) })).trials);
      // The warm sampler models the source's trials at once: its first proposal is in the fast and accurate region.
      expect(warm[0]).toMatchObject({ SIZE: 480 });
      if (JSON.stringify(warm) !== JSON.stringify(cold)) differ++;
    }
    expect(differ).toBeGreaterThanOrEqual(3);
  });

  it('refuses an unknown source study, naming the store\'s studies, and the study itself', async () => {
    const storage = await store();
    await study(storage, 'source', { seed: 1, trials: 1, sampler: 'grid' });
    const unknown = await loadWarmStart(storage, 'nope', 'warm', space, 3).catch((e: unknown) => e);
    expect(isAutotuneError(unknown, 'E_USAGE')).toBe(true);
    expect((unknown as Error).message).toBe(`--warm-start-from nope: no such study in ${storage.path}`);
    expect((unknown as { hint?: string }).hint).toMatch(/source/);
    const self = await loadWarmStart(storage, 'source', 'source', space, 3).catch((e: unknown) => e);
    expect(isAutotuneError(self, 'E_USAGE')).toBe(true);
  });
});

describe('foreign history', () => {
  const t = (n: number, SIZE: number, value: number | null, feasible = true): TrialSummary => ({
    number: n, params: { SIZE, STREAM: 0, POOL: 1 }, state: 'COMPLETE', value, feasible, violation: feasible ? 0 : 1, baseline: null,
  });

  it("scales another host's values by the configs both measured, and marks their origin", () => {
    const own = [t(0, 640, 13), t(1, 480, 9.6)];
    const other = { origin: 'study a', trials: [t(0, 640, 6.5), t(1, 480, 4.8), t(2, 320, 3.2, false)] };
    const history = foreignHistory(own, [other], 'minimize');
    expect(history.map((h) => h.value)).toEqual([13, 9.6, 6.4]);
    expect(history.every((h) => h.origin === 'study a' && h.number < 0)).toBe(true);
    // Nothing in common: values as they are.
    expect(foreignHistory([], [other], 'minimize').map((h) => h.value)).toEqual([6.5, 4.8, 3.2]);
  });

  it('is not "tried" here: a sampler may propose a config only measured elsewhere', () => {
    const grid = createSampler('grid');
    const ask = (history: TrialSummary[]) => grid.ask({ space, history, seed: 1, trialNumber: history.length, direction: 'minimize' });
    // Every config of the space, measured in another study.
    const all: TrialSummary[] = [];
    for (let config = ask(all); config !== null; config = ask(all)) all.push({ ...t(all.length, 0, 1), params: config });
    expect(all).toHaveLength(9);
    const elsewhere = all.map((h) => ({ ...h, origin: 'study a' }));
    expect(ask(elsewhere)).toEqual(ask([]));
    expect(ask(all)).toBeNull();
  });
});
