// Several workers on one study, at the runner's level: a worker whose trial another worker failed (its
// heartbeat went unanswered) drops it and goes on; a worker whose share of the budget is spoken for by
// another's running trial waits for it, and picks the share up when that worker dies; the sampler
// never gets a config another worker is measuring.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChallengeResult, Config, Evaluator, VideoRef } from '../../src/pipeline/types.js';
import { configKey } from '../../src/search/index.js';
import { openStorage, type Storage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';
import { workerHost } from '../../src/store/worker.js';
import { countsTowardBudget, runStudy, type RunStudyOptions } from '../../src/study/runner.js';
import { fakeSpace, FakeEvaluator, listSampler } from './fixtures/fake-evaluator.js';

const stores: Storage[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
const videos = [{ url: 'https://lab/v1.mp4' }, { url: 'https://lab/v2.mp4' }];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setup() {
  const path = join(mkdtempSync(join(tmpdir(), 'autotune-workers-')), 'a.db');
  const storage = await openStorage(path);
  const other = await openStorage(path);
  stores.push(storage, other);
  const { study } = await openStudy(storage, { name: 'w', spaceFile: 'fake.yaml', space: {}, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: {}, host: {} });
  return { path, storage, other, study };
}

/** Runs `before` before a challenge of the config with SPEED `speed` (once). */
class HookedEvaluator implements Evaluator {
  readonly switching = 'free' as const;
  private readonly inner = new FakeEvaluator();
  private fired = false;
  constructor(private readonly speed: number, private readonly before: () => Promise<void>) {}
  async evaluate(config: Config, video: VideoRef): Promise<ChallengeResult> {
    if (config.SPEED === this.speed && !this.fired) {
      this.fired = true;
      await this.before();
    }
    return this.inner.evaluate(config, video);
  }
  async close(): Promise<void> {}
}

describe('many workers on one study (runner)', () => {
  it('abandons a trial another worker failed: says so in one line, stores nothing more for it, and goes on', async () => {
    const { storage, other, study } = await setup();
    const lines: string[] = [];
    // While trial SPEED=2 is measured, another worker finds it silent and fails it; the challenge
    // goes on until a heartbeat that follows (every 0.4 s / 4) has answered false, however late a
    // loaded machine runs it.
    let refused = false;
    const watched = new Proxy(storage, {
      get(target, prop) {
        if (prop === 'heartbeat') {
          return async (trialId: number) => {
            const alive = await target.heartbeat(trialId);
            if (!alive) refused = true;
            return alive;
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const evaluator = new HookedEvaluator(2, async () => {
      const trial = (await other.listTrials(study.id)).find((t) => t.state === 'RUNNING')!;
      expect(trial.params.SPEED).toBe(2);
      // A heartbeat stored in this very millisecond is not older than 0 s: ask again until it is.
      let failed: number[] = [];
      for (let waited = 0; failed.length === 0 && waited < 5_000; waited += 5) {
        failed = await other.failStaleTrials(study.id, 0);
        if (failed.length === 0) await sleep(5);
      }
      expect(failed).toEqual([trial.number]);
      for (let waited = 0; !refused; waited += 20) {
        if (waited > 20_000) throw new Error('no heartbeat answered false within 20 s');
        await sleep(20);
      }
    });
    const options: RunStudyOptions = {
      storage: watched,
      study,
      evaluator,
      videos,
      space: fakeSpace,
      baselines: [],
      sampler: listSampler([1, 2, 3, 4].map((SPEED) => ({ SPEED, ACC: 1 }))),
      seed: 1,
      trials: 3,
      timeLimitMs: null,
      repeats: 2,
      confirmTop: 0,
      confirmRepeats: 0,
      heartbeatTimeoutS: 0.4,
      events: { message: (line) => lines.push(line) },
    };
    const result = await runStudy(options);
    const trials = await storage.listTrials(study.id);
    expect(trials.map((t) => [t.params.SPEED, t.state])).toEqual([
      [1, 'COMPLETE'],
      [2, 'FAIL'],
      [3, 'COMPLETE'],
      [4, 'COMPLETE'],
    ]);
    expect(trials[1]!.reason).toMatch(/^no heartbeat for more than 0 s/);
    expect(lines).toContain('trial 1 was marked FAIL by another worker (no heartbeat for more than 0.4 s); going on with the next trial');
    // The failed trial's worker stored nothing after it was failed (it had measured nothing yet).
    expect(await storage.listMeasurements({ trialId: trials[1]!.id })).toEqual([]);
    // The dead worker's trial does not use up the study's budget: three sampled trials finished.
    expect(trials.filter(countsTowardBudget)).toHaveLength(3);
    expect(result.trialsRun).toBe(4);
  });

  it("waits while another worker's running trial holds the last share of the budget, and takes it over when that worker dies", async () => {
    const { storage, other, study } = await setup();
    // Another worker (the second connection, as a process that then goes silent) runs trial 0.
    const held = (await other.createTrial(study.id, { params: { SPEED: 9, ACC: 1 }, baseline: null }))!;
    const lines: string[] = [];
    const proposals: Config[] = [];
    const sawPending: boolean[] = [];
    const sampler = {
      name: 'recording',
      ask: (ctx: Parameters<ReturnType<typeof listSampler>['ask']>[0]) => {
        sawPending.push(ctx.history.some((t) => t.state === 'RUNNING' && configKey(t.params) === configKey(held.params)));
        const config = { SPEED: proposals.length + 1, ACC: 1 };
        proposals.push(config);
        return config;
      },
    };
    const started = Date.now();
    const result = await runStudy({
      storage,
      study,
      evaluator: new FakeEvaluator(),
      videos,
      space: fakeSpace,
      baselines: [],
      sampler,
      seed: 1,
      trials: 3,
      timeLimitMs: null,
      repeats: 1,
      confirmTop: 0,
      confirmRepeats: 0,
      heartbeatTimeoutS: 1,
      events: { message: (line) => lines.push(line) },
    });
    const trials = await storage.listTrials(study.id);
    // Two of its own while the held one ran, then it waited until the held one was 1 s silent, failed
    // it, and ran the third share itself.
    expect(trials.map((t) => [t.number, t.state])).toEqual([
      [0, 'FAIL'],
      [1, 'COMPLETE'],
      [2, 'COMPLETE'],
      [3, 'COMPLETE'],
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(lines).toContain('trial(s) 0 marked FAIL: no heartbeat from their worker for more than 1 s');
    expect(trials.filter(countsTowardBudget)).toHaveLength(3);
    expect(result.stopReason).toBe('trials');
    // The sampler saw the other worker's trial as pending while it ran, and as failed afterwards.
    expect(sawPending).toEqual([true, true, false]);
  });

  it('warns when another live worker of this host measures the study with a timed evaluator, and not for a replay', async () => {
    for (const timed of [true, false]) {
      const { path, storage, study } = await setup();
      // Another process of this host (the test runner's parent, alive) holds worker slot 0.
      const file = new Database(path);
      file.prepare('INSERT INTO claims (study_id, name, worker_host, worker_pid, heartbeat_at) VALUES (?, ?, ?, ?, ?)').run(study.id, 'worker:0', workerHost(), process.ppid, new Date().toISOString());
      file.close();
      const lines: string[] = [];
      await runStudy({
        storage, study, evaluator: new FakeEvaluator(), videos, space: fakeSpace, baselines: [], sampler: listSampler([{ SPEED: 1, ACC: 1 }]),
        seed: 1, trials: 1, timeLimitMs: null, repeats: 1, confirmTop: 0, confirmRepeats: 0, timed, events: { message: (line) => lines.push(line) },
      });
      const warning = lines.find((l) => l.startsWith('warning: another worker of this host'));
      if (timed) {
        expect(warning).toBe(
          `warning: another worker of this host (pid ${process.ppid}) measures this study at the same time: their challenges share its CPU, GPU and link, so every figure reads slower than the miner alone would run. Run one worker per host (several only with --evaluator replay); stop this one with Ctrl-C, its finished trials stay`,
        );
      } else {
        expect(warning).toBeUndefined();
        expect(lines.some((l) => l.startsWith('another worker runs this study too: this one is worker 1'))).toBe(true);
      }
    }
  });
});
