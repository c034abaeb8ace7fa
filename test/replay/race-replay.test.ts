// Racing on a planted replay table (the replay evaluator, the real runner and store): a clearly worse
// config is dropped after the minimum blocks with its p-value, a statistically tied one is kept, and
// the dropped one is never the winner.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayEvaluator } from '../../src/replay/evaluator.js';
import { fitTable } from '../../src/replay/fit.js';
import { readReplayTable } from '../../src/replay/read.js';
import { configKey, loadSpace } from '../../src/search/index.js';
import { openStorage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { runStudy } from '../../src/study/runner.js';
import { listSampler } from '../study/fixtures/fake-evaluator.js';
import { PLANTED_SPACE, writePlanted } from './fixtures/planted.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-race-replay-'));
const BEST = { SIZE: 480, STREAM: 1, START: 2, POOL: 1 };
const WORSE = { SIZE: 640, STREAM: 1, START: 1, POOL: 1 };
const TWIN = { SIZE: 480, STREAM: 1, START: 1, POOL: 1 };
// The twin's rows are the best's rows, each nudged by a different small amount of either sign: the
// same config in all but name, as far as any test can tell.
const NUDGE = [0.004, -0.003, 0.002, -0.004, 0.003, -0.002];

describe('racing on a planted replay table', () => {
  it('drops a clearly worse config after the minimum blocks with its p-value, keeps a tied one, never crowns the dropped', async () => {
    const bestTimes: string[] = [];
    const table = writePlanted(join(dir, 'planted.csv'), (cells) => {
      if (cells[0] === '480' && cells[1] === '1' && cells[2] === '2') bestTimes.push(cells[6]!);
      return cells;
    });
    // A second pass, now that the best's times are known: the twin (480, streaming, start 1) copies them.
    let twinRow = 0;
    writePlanted(table, (cells) => {
      if (cells[0] === '480' && cells[1] === '1' && cells[2] === '1') {
        const i = twinRow++;
        return cells.map((c, j) => (j === 6 ? String(Number((Number(bestTimes[i]) + NUDGE[i]!).toFixed(3))) : c));
      }
      return cells;
    });
    const parsed = readReplayTable(table);
    const space = loadSpace(PLANTED_SPACE, { knobs: parsed.knobs, evaluator: 'replay' });
    const evaluator = new ReplayEvaluator(fitTable(parsed, space), { seed: 5, missing: 'error', tMin: 2 });
    const storage = await openStorage(join(dir, 'race.db'));
    try {
      const { study } = await openStudy(storage, {
        name: 'race', spaceFile: PLANTED_SPACE, space, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: {}, host: {},
      });
      const result = await runStudy({
        storage,
        study,
        evaluator,
        videos: parsed.videos.map((url) => ({ url })),
        space,
        baselines: [],
        sampler: listSampler([BEST, WORSE, TWIN]),
        seed: 5,
        trials: 3,
        timeLimitMs: null,
        repeats: 3,
        racing: DEFAULT_RACE,
        confirmTop: 0,
        confirmRepeats: 0,
      });
      const trials = await storage.listTrials(study.id);
      const of = (c: object) => trials.find((t) => configKey(t.params) === configKey(c as Record<string, number>))!;
      const measured = async (c: object) => (await storage.listMeasurements({ trialId: of(c).id })).length;

      // 640 is 1.6 s slower on every block: dropped once it shares the minimum 5 blocks with the best.
      expect(of(WORSE)).toMatchObject({ state: 'PRUNED', verdict: { kind: 'race', challenges: DEFAULT_RACE.minBlocks } });
      expect(of(WORSE).verdict!.p).toBeLessThan(0.05);
      expect(await measured(WORSE)).toBe(DEFAULT_RACE.minBlocks);
      // The twin is faster on some blocks and slower on others: kept, measured to the end.
      expect(of(TWIN).state).toBe('COMPLETE');
      expect(await measured(TWIN)).toBe(6);
      expect(of(BEST).state).toBe('COMPLETE');
      expect(configKey(result.winner!.params)).not.toBe(configKey(WORSE));
      expect([configKey(BEST), configKey(TWIN)]).toContain(configKey(result.winner!.params));
      // What racing saved is counted.
      expect(result.analysis.saved).toBeGreaterThanOrEqual(1);
    } finally {
      await storage.close();
    }
  });
});
