// Tuner overhead per trial outside the pipeline: sampler ask + store writes (trial, measurements,
// state) + the history read, with a trivial in-script evaluator. Target: < 20 ms per trial at 500
// trials. Usage: npx tsx scripts/bench-tuner.ts [--trials 500] [--sampler tpe] [--space search-spaces/sn44.yaml]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { challengeResult } from '../src/pipeline/result.js';
import type { ChallengeResult, Config, Evaluator, VideoRef } from '../src/pipeline/types.js';
import { createSampler, loadSpace } from '../src/search/index.js';
import { openStorage } from '../src/store/index.js';
import { openStudy } from '../src/study/open.js';
import { runStudy } from '../src/study/runner.js';
import { median, p90 } from '../src/study/stats.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const trials = Number(arg('trials', '500'));
const samplerName = arg('sampler', 'tpe');
const spaceFile = arg('space', 'search-spaces/sn44.yaml');

/** Answers at once: total time is a smooth function of two knobs, accuracy always 1. */
class InstantEvaluator implements Evaluator {
  async evaluate(config: Config, video: VideoRef): Promise<ChallengeResult> {
    const total = 1 + Math.abs(Number(config.IMG_SIZE ?? 640) - 416) / 1000 + Number(config.BATCH_SIZE ?? 0) / 1000;
    return challengeResult(video.url, config, {
      timeline: { connected: 0, firstByte: 0, downloadEnd: 0, decoderStart: 0, firstFrame: 0, firstBatch: 0, lastFrame: total, total },
      bytes: 1,
      protocol: 'h2',
      framesDecoded: 1,
      framesAnswered: 1,
      framesInVideo: 1,
      provider: 'cpu',
      decoder: 'none',
      accuracy: 1,
      coverage: 1,
      sn44: 0.5,
    });
  }
  async close() {}
}

const dir = mkdtempSync(join(tmpdir(), 'autotune-bench-'));
const storage = await openStorage(join(dir, 'bench.db'));
const space = await loadSpace(spaceFile);
const { study } = await openStudy(storage, {
  name: 'bench',
  spaceFile,
  space,
  objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 },
  settings: {},
  host: {},
});
const sampler = createSampler(samplerName);
const perTrial: number[] = [];
const askTimes: number[] = [];
let last = performance.now();
const timedSampler = {
  name: sampler.name,
  ask: (ctx: Parameters<typeof sampler.ask>[0]) => {
    const t = performance.now();
    const config = sampler.ask(ctx);
    askTimes.push(performance.now() - t);
    return config;
  },
};
const started = performance.now();
await runStudy({
  storage,
  study,
  evaluator: new InstantEvaluator(),
  videos: [{ url: 'https://bench/a.mp4' }, { url: 'https://bench/b.mp4' }],
  space,
  baselines: space.baselines,
  sampler: timedSampler,
  seed: 1,
  trials,
  timeLimitMs: null,
  repeats: 3,
  confirmTop: 3,
  confirmRepeats: 0,
  events: {
    trialEnd: () => {
      const now = performance.now();
      perTrial.push(now - last);
      last = now;
    },
  },
});
const elapsed = performance.now() - started;
await storage.close();
rmSync(dir, { recursive: true, force: true });

const window = (from: number, to: number) => perTrial.slice(from, to);
const fmt = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)} ms`);
console.log(`tuner overhead: ${samplerName} sampler, ${space.name} space (${space.params.length} params), 2 videos x 3 repeats, instant evaluator`);
console.log(`trials: ${perTrial.length} in ${(elapsed / 1000).toFixed(2)} s (${fmt(elapsed / perTrial.length)} per trial on average)`);
console.log(`per trial (ask + 6 measurements + state + history read): median ${fmt(median(perTrial))}, p90 ${fmt(p90(perTrial))}`);
console.log(`  trials 1-100:   median ${fmt(median(window(0, 100)))}, p90 ${fmt(p90(window(0, 100)))}`);
console.log(`  trials 401-500: median ${fmt(median(window(400, 500)))}, p90 ${fmt(p90(window(400, 500)))}`);
console.log(`sampler ask alone: median ${fmt(median(askTimes))}, p90 ${fmt(p90(askTimes))}, last 100 median ${fmt(median(askTimes.slice(-100)))}`);
const late = median(window(400, 500)) ?? Infinity;
console.log(late < 20 ? `OK: ${fmt(late)} per trial at ~500 trials (target < 20 ms)` : `SLOW: ${fmt(late)} per trial at ~500 trials (target < 20 ms)`);
