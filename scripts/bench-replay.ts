// Trials per minute of a study on the replay evaluator, and where the time goes.
// Usage: npx tsx scripts/bench-replay.ts [--table FILE.csv --space FILE.yaml] [--trials 1000] [--repeats 3]
//
// Runs the study runner as `autotune run --evaluator replay` does (a SQLite file in WAL mode, every
// challenge committed as it finishes), once per sampler, with the store, the sampler and the evaluator
// wrapped in timers: the figures say which of them is the bottleneck. Then the same study through the
// compiled CLI, start-up included. Default table: scripts/bench/tables/lab-quick.csv.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ReplayEvaluator } from '../src/replay/evaluator.js';
import { fitTable } from '../src/replay/fit.js';
import { readReplayTable } from '../src/replay/read.js';
import { createSampler, loadSpace, type Sampler } from '../src/search/index.js';
import { openStorage } from '../src/store/index.js';
import type { Storage } from '../src/store/types.js';
import { openStudy } from '../src/study/open.js';
import { runStudy } from '../src/study/runner.js';

const a = yargs(hideBin(process.argv))
  .option('table', { type: 'string', default: 'scripts/bench/tables/lab-quick.csv' })
  .option('space', { type: 'string', default: 'scripts/bench/tables/lab-quick.yaml' })
  .option('trials', { type: 'number', default: 1000 })
  .option('repeats', { type: 'number', default: 3 })
  .option('samplers', { type: 'string', default: 'tpe,random' })
  .strict()
  .parseSync();

const table = readReplayTable(a.table);
const space = loadSpace(a.space, { knobs: table.knobs });
const index = fitTable(table, space);
const videos = table.videos.map((url) => ({ url }));

type Timers = Map<string, { ms: number; calls: number }>;

/** The object with each method timed under `prefix.method` (async methods until they settle). */
function timed<T extends object>(target: T, prefix: string, timers: Timers): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      const name = `${prefix}.${String(prop)}`;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const note = () => {
          const t = timers.get(name) ?? { ms: 0, calls: 0 };
          t.ms += performance.now() - t0;
          t.calls++;
          timers.set(name, t);
        };
        const out = value.apply(obj, args);
        if (out instanceof Promise) return out.finally(note);
        note();
        return out;
      };
    },
  });
}

console.log(`replay study: ${a.table} (${index.cells.size} configs, ${videos.length} videos, ${table.rows.length} rows), ${a.trials} trials x ${videos.length} videos x ${a.repeats} repeats, SQLite file (WAL, synchronous=NORMAL)`);
for (const name of a.samplers.split(',')) {
  const timers: Timers = new Map();
  const db = join(mkdtempSync(join(tmpdir(), 'autotune-bench-replay-')), 'replay.db');
  const storage = timed<Storage>(await openStorage(db), 'store', timers);
  const { study } = await openStudy(storage, { name: 'replay', spaceFile: a.space, space, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: {}, host: {} });
  const evaluator = timed(new ReplayEvaluator(index, { seed: 1, missing: 'error', tMin: 2 }), 'evaluator', timers);
  const sampler = timed<Sampler>(createSampler(name), 'sampler', timers);
  const t0 = performance.now();
  const result = await runStudy({
    storage, study, evaluator, videos, space, baselines: space.baselines, sampler, seed: 1,
    trials: a.trials, timeLimitMs: null, repeats: a.repeats, confirmTop: 3, confirmRepeats: 5,
  });
  const ms = performance.now() - t0;
  await storage.close();
  const challenges = evaluator.challenges;
  console.log(`\n${name}: ${result.trialsRun} trials, ${challenges} challenges in ${(ms / 1000).toFixed(2)} s: ${((result.trialsRun / ms) * 60_000).toFixed(0)} trials/min, ${((challenges / ms) * 1000).toFixed(0)} challenges/s`);
  const rows = [...timers].filter(([k]) => !k.endsWith('.close')).sort((x, y) => y[1].ms - x[1].ms);
  const accounted = rows.reduce((s, [, t]) => s + t.ms, 0);
  for (const [k, t] of rows.slice(0, 8)) {
    console.log(`  ${k.padEnd(26)} ${t.ms.toFixed(0).padStart(7)} ms  ${((100 * t.ms) / ms).toFixed(1).padStart(5)}%  ${String(t.calls).padStart(6)} calls  ${((t.ms / t.calls) * 1000).toFixed(0).padStart(6)} us/call`);
  }
  console.log(`  ${'the runner itself'.padEnd(26)} ${(ms - accounted).toFixed(0).padStart(7)} ms  ${((100 * (ms - accounted)) / ms).toFixed(1).padStart(5)}%  (objective, ranking, bookkeeping)`);
}

const cli = 'bin/autotune.js';
if (existsSync('dist/cli/main.js')) {
  const db = join(mkdtempSync(join(tmpdir(), 'autotune-bench-replay-')), 'cli.db');
  const trials = Math.min(a.trials, 500);
  const t0 = performance.now();
  execFileSync('node', [cli, 'run', '--evaluator', 'replay', '--table', a.table, '--space', a.space, '--db', db, '--trials', String(trials), '--repeats', String(a.repeats)], { stdio: 'ignore' });
  const ms = performance.now() - t0;
  console.log(`\nautotune run --evaluator replay (compiled CLI, tpe, ${trials} trials, start-up and confirmation race included): ${(ms / 1000).toFixed(2)} s, ${((trials / ms) * 60_000).toFixed(0)} trials/min`);
} else console.log('\n(build with npm run build to time the compiled CLI too)');
