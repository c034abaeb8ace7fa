// `npm run bench`: the headline benchmark. For each lab link profile (default seed-slow and fork):
//  1. a budgeted study on the lab clips (fixed seed and trial count, TPE, search-spaces/quick.yaml)
//     finds a winner, with the project's study runner;
//  2. the space's baselines (the fork's default, QUICK and ULTRA presets) and that winner are measured
//     side by side in one interleaved run: median total time with a bootstrap 95% interval, accuracy
//     (F1 against the reference answer), coverage, SN44 estimate at t_min, and each config's median
//     over the winner's;
//  3. the floor ratio of each config: median total time over the slowest stage measured alone.
// Prints a table and writes results/bench/bench-<timestamp>.{md,json} (and the study database).
//
//   npm run bench -- [--frames 750] [--clips 2] [--trials 8] [--repeats 3] [--profiles seed-slow,fork]
//                    [--space search-spaces/quick.yaml] [--seed 1]   (see --help for the rest)
//
// On a 2-core CPU machine, --frames 250 --trials 6 --repeats 2 takes about ten minutes.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probeCapabilities } from '../src/host/capabilities.js';
import { snapshotHost } from '../src/host/snapshot.js';
import { ensureClips, ensureModel } from './bench/assets.js';
import type { StageCache } from './bench/floor.js';
import { floorLines, markdownReport, textTable, winnerLines } from './bench/format.js';
import { parseBenchArgs } from './bench/options.js';
import { benchProfile, type ProfileResult } from './bench/profile.js';

const started = Date.now();
const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const say = (line: string) => process.stdout.write(`[${elapsed()}] ${line}\n`);

async function main(): Promise<void> {
  const settings = parseBenchArgs();
  if (!existsSync(settings.space)) throw new Error(`--space ${settings.space} does not exist`);
  await mkdir(settings.outDir, { recursive: true });
  const base = join(settings.outDir, `bench-${stamp}`);
  const dbPath = `${base}.db`;

  await ensureModel(settings.model, say);
  const { dir, clips } = await ensureClips(settings, say);
  say(`clips: ${clips.map((c) => `${c.path} (${(c.bytes / 1e6).toFixed(2)} MB)`).join(', ')}`);

  const host = snapshotHost(await probeCapabilities(settings.device));

  const results: ProfileResult[] = [];
  const stageCache: StageCache = new Map();
  const save = async (complete: boolean) => {
    const seconds = (Date.now() - started) / 1000;
    const json = { startedAt: new Date(started).toISOString(), complete, seconds, settings, host, clips, space: settings.space, db: dbPath, results };
    await writeFile(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
    await writeFile(`${base}.md`, markdownReport({ startedAt: json.startedAt, settings: { ...settings }, host, results, tMin: settings.tMin, complete, seconds }));
  };

  for (const profile of settings.profiles) {
    say(`=== profile ${profile} ===`);
    results.push(await benchProfile({ profile, settings, clipsDir: dir, clips, dbPath, stageCache, say }));
    await save(false);
  }
  await save(true);

  const out = [
    '',
    `Benchmark (${settings.frames}-frame ${settings.width}x${settings.height} lab clips x ${clips.length}, space ${settings.space}, ` +
      `${settings.trials} TPE trials seed ${settings.seed}, side by side ${settings.repeats} repeats per clip):`,
    '',
    textTable(results, settings.tMin),
    '',
    'Winners:',
    ...winnerLines(results).map((l) => `  ${l}`),
    '',
    'Floor ratios (median total on the first clip / slowest stage alone):',
    ...floorLines(results).map((l) => `  ${l}`),
    '',
    `Saved ${base}.md, ${base}.json and the studies in ${dbPath} (autotune trials --db ${dbPath} --study bench-<profile>).`,
    `Total run time ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  const e = err as Error & { hint?: string };
  process.stderr.write(`bench: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}\n`);
  if (process.env.BENCH_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
});
