// One study, many workers: trials per second with 1, 2 and 4 `autotune run` processes on one study,
// with the replay evaluator (no model, no videos: what is measured is the runner, the sampler and
// the store; a real challenge takes seconds and dwarfs all three). Usage:
//   npm run bench:workers -- [--trials 300] [--runs 3] [--sampler tpe] [--backends sqlite,postgres]
// Every run: a fresh store (a SQLite file, or a database of a throwaway PostgreSQL cluster, as the
// tests start one), the same replay table (test/study/fixtures/workers-table.ts: 800 configs, two
// videos), the same total of sampled trials, --repeats 1. Trials per second are the study's trials
// (baselines and sampled) over the span from the first trial's start to the last one's end, by the
// store's clock: process start-up and the confirmation race at the end are left out. Side by side:
// median and range of RUNS runs, and the speed-up over one worker of the same backend.

import { execa } from 'execa';
import { existsSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStorage } from '../src/store/index.js';
import { countsTowardBudget } from '../src/study/runner.js';
import { formatTable } from '../src/util/format.js';
import { createDatabase, startThrowawayCluster } from '../test/helpers/postgres-cluster.js';
import { writeWorkersTable } from '../test/study/fixtures/workers-table.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    sampler: { type: 'string', default: 'tpe' },
    backends: { type: 'string', default: 'sqlite,postgres' },
  },
});
const trials = Number(values.trials);
const runs = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'bin', 'autotune.js');
// The compiled CLI a user runs when dist/ is built, else the sources through tsx.
const cli = existsSync(join(root, 'dist', 'cli', 'main.js')) ? [compiled] : ['--import', 'tsx', join(root, 'test', 'helpers', 'cli-entry.ts')];
const dir = mkdtempSync(join(tmpdir(), 'autotune-bench-workers-'));
const { space, table } = writeWorkersTable(dir);

interface Figures {
  rate: number;
  wallS: number;
}

async function once(storage: string, workers: number): Promise<Figures> {
  const args = ['run', '--evaluator', 'replay', '--table', table, '--space', space, '--storage', storage, '--study', 'bench'];
  args.push('--trials', String(trials), '--repeats', '1', '--sampler', values.sampler!, '--seed', '1');
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: workers }, () => execa('node', [...cli, ...args], { cwd: root, reject: false, stdin: 'ignore' })));
  const wallS = (Date.now() - started) / 1000;
  for (const r of results) if (r.exitCode !== 0) throw new Error(`a worker failed (exit ${r.exitCode}): ${r.stderr}`);
  const store = await openStorage(storage);
  try {
    const study = (await store.getStudy('bench'))!;
    const all = await store.listTrials(study.id);
    const sampled = all.filter(countsTowardBudget).length;
    if (sampled !== trials) throw new Error(`expected ${trials} sampled trials, the study has ${sampled}`);
    const span = (Math.max(...all.map((t) => Date.parse(t.finishedAt!))) - Math.min(...all.map((t) => Date.parse(t.startedAt)))) / 1000;
    return { rate: all.length / span, wallS };
  } finally {
    await store.close();
  }
}

const cluster = await startThrowawayCluster();
const rows: { backend: string; workers: number; figures: Figures[] }[] = [];
const load = loadavg()[0]!;
try {
  let n = 0;
  for (const workers of [1, 2, 4]) {
    for (const backend of ['SQLite', 'PostgreSQL'].filter((b) => values.backends!.split(',').includes(b === 'SQLite' ? 'sqlite' : 'postgres'))) {
      const figures: Figures[] = [];
      for (let run = 0; run < runs; run++) {
        const storage = backend === 'SQLite' ? join(dir, `bench-${n++}.db`) : await createDatabase(cluster.url, `bench_${n++}`);
        figures.push(await once(storage, workers));
      }
      figures.sort((a, b) => a.rate - b.rate);
      rows.push({ backend, workers, figures });
      process.stderr.write(`${backend} x${workers}: ${figures.map((f) => f.rate.toFixed(0)).join(', ')} trials/s\n`);
    }
  }
} finally {
  await cluster.stop();
}
const median = <T>(xs: T[]) => xs[Math.floor((xs.length - 1) / 2)]!;
const single = (backend: string) => median(rows.find((r) => r.backend === backend && r.workers === 1)!.figures).rate;
process.stdout.write(
  `one study, many workers: ${trials} sampled trials in all, replay evaluator, sampler ${values.sampler}, --repeats 1, ${runs} runs each; ` +
    `${cpus().length} CPU(s), load average ${load.toFixed(1)} at the start\n` +
    `trials/s: the study's trials over first start to last end by the store's clock (start-up and the race left out); wall: the whole run\n\n` +
    `${formatTable(rows, [
      { header: 'workers', value: (r) => String(r.workers), align: 'right' },
      { header: 'backend', value: (r) => r.backend },
      { header: 'trials/s', value: (r) => median(r.figures).rate.toFixed(0), align: 'right' },
      { header: 'range', value: (r) => `${r.figures[0]!.rate.toFixed(0)}-${r.figures.at(-1)!.rate.toFixed(0)}`, align: 'right' },
      { header: 'vs 1 worker', value: (r) => `${(median(r.figures).rate / single(r.backend)).toFixed(2)}x`, align: 'right' },
      { header: 'wall s', value: (r) => median(r.figures).wallS.toFixed(1), align: 'right' },
    ])}\n`,
);
