// npm run bench:warm [-- --table FILE.csv [--space FILE.yaml]]: what a warm start saves a new host.
// Host A is the replay table as recorded; host B is derived from it (every time x --factor, 1.3, with
// a per-config log-normal spread, --spread 0.05, so the order of configs mostly holds). For each seed,
// a study on host A (--source-trials sampled trials, this project's TPE) is the fleet's experience;
// then host B studies with the same seed: cold, warm-started from the seed's host-A study (its
// finished trials for the sampler, its best --top re-measured first), and warm-started with the
// sampler only (--top 0). The figure is the search benchmark's: challenges on host B until the best
// feasible config found is within 5% of host B's best feasible config (its challenges re-measuring the
// source's best count), median and 80th percentile over the seeds, with the ratio of medians to the
// cold start (bootstrap 95% interval over seeds). Printed, and saved as results/bench/warm.md and
// warm.json with host B's table.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { configKey, createRng, createSampler } from '../src/search/index.js';
import { openStorage } from '../src/store/index.js';
import type { ObjectiveSpec } from '../src/store/types.js';
import { openStudy } from '../src/study/open.js';
import { runStudy } from '../src/study/runner.js';
import { loadWarmStart, type WarmStart } from '../src/study/warm-start.js';
import { ReplayEvaluator } from '../src/replay/evaluator.js';
import { formatTable } from '../src/util/format.js';
import { loadBenchTable, ratioInterval, runMethod, summarize, truthOf, WITHIN, type BenchTable, type Method, type MethodSummary } from './bench/search-harness.js';

export interface WarmBenchSettings {
  table: string;
  space: string;
  seeds: number;
  budget: number;
  repeats: number;
  sourceTrials: number;
  top: number;
  factor: number;
  spread: number;
  accuracyFloor: number;
  outDir: string;
}

export function parseWarmBenchArgs(argv: string[]): WarmBenchSettings {
  const a = yargs(argv)
    .usage('npm run bench:warm -- [options]\n\nChallenges on a second host until within 5% of its best, with and without a warm start from the first host.')
    .option('table', { type: 'string', default: 'scripts/bench/tables/lab-quick.csv', describe: "host A's replay table (CSV) covering its space" })
    .option('space', { type: 'string', describe: 'its space (default: FILE.yaml beside FILE.csv)' })
    .option('seeds', { type: 'number', default: 20 })
    .option('budget', { type: 'number', default: 600, describe: 'most challenges a host-B study may spend' })
    .option('repeats', { type: 'number', default: 3, describe: 'challenges per video per trial' })
    .option('source-trials', { type: 'number', default: 30, describe: "sampled trials of each host-A study" })
    .option('top', { type: 'number', default: 3, describe: 'configs of the host-A study re-measured first (--warm-start-top)' })
    .option('factor', { type: 'number', default: 1.3, describe: "host B's times: host A's x this" })
    .option('spread', { type: 'number', default: 0.05, describe: "sd of host B's per-config log factor around it" })
    .option('accuracy-floor', { type: 'number', default: 0.98 })
    .option('out', { type: 'string', default: 'results/bench', describe: 'output folder' })
    .strict()
    .parseSync();
  return {
    table: a.table,
    space: a.space ?? join(dirname(a.table), `${basename(a.table, '.csv')}.yaml`),
    seeds: a.seeds,
    budget: a.budget,
    repeats: a.repeats,
    sourceTrials: a['source-trials'],
    top: a.top,
    factor: a.factor,
    spread: a.spread,
    accuracyFloor: a['accuracy-floor'],
    outDir: a.out,
  };
}

/**
 * Host B's table: host A's rows with total_s x factor x exp(N(0, spread)), one draw per config
 * (seeded, so every run derives the same table); the other columns as they are.
 */
export function deriveHost(text: string, factor: number, spread: number): string {
  const rng = createRng(2026, 0x4b05b);
  const perConfig = new Map<string, number>();
  const lines = text.trimEnd().split('\n');
  const header = lines[0]!.split(',');
  const total = header.indexOf('total_s');
  const knobs = header.indexOf('video');
  const out = [lines[0]!];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const key = cells.slice(0, knobs).join(',');
    if (!perConfig.has(key)) perConfig.set(key, factor * Math.exp(spread * rng.normal()));
    if (cells[total] !== '') cells[total] = String(Number((Number(cells[total]) * perConfig.get(key)!).toFixed(6)));
    out.push(cells.join(','));
  }
  return `${out.join('\n')}\n`;
}

/** A host-A study of `trials` sampled trials (TPE, the seed), and the warm start it gives (top configs). */
async function sourceStudy(a: BenchTable, objective: ObjectiveSpec, settings: WarmBenchSettings, seed: number): Promise<WarmStart> {
  const storage = await openStorage(':memory:');
  try {
    const { study } = await openStudy(storage, { name: 'host-a', spaceFile: a.space.file, space: a.space, objective, settings: {}, host: {} });
    await runStudy({
      storage,
      study,
      evaluator: new ReplayEvaluator(a.index, { seed: seed + 10_000, missing: 'error', tMin: objective.tMin }),
      videos: a.videos.map((url) => ({ url })),
      space: a.space,
      baselines: a.space.baselines,
      sampler: createSampler('tpe'),
      seed: seed + 10_000,
      trials: settings.sourceTrials,
      timeLimitMs: null,
      repeats: settings.repeats,
      confirmTop: 0,
      confirmRepeats: 0,
    });
    return await loadWarmStart(storage, 'host-a', 'host-b', a.space, settings.top);
  } finally {
    await storage.close();
  }
}

interface Row {
  summary: MethodSummary;
  vsCold: string;
}

export async function runWarmBench(settings: WarmBenchSettings, say: (line: string) => void): Promise<Row[]> {
  const started = Date.now();
  if (!existsSync(settings.table)) {
    throw new Error(`${settings.table} does not exist: make it with the commands in scripts/bench/tables/README.md, or pass --table FILE.csv`);
  }
  mkdirSync(settings.outDir, { recursive: true });
  const a = loadBenchTable('host A', settings.table, settings.space);
  const bFile = join(settings.outDir, `${basename(settings.table, '.csv')}-host-b.csv`);
  writeFileSync(bFile, deriveHost(readFileSync(settings.table, 'utf8'), settings.factor, settings.spread));
  const b = loadBenchTable('host B', bFile, settings.space);
  const objective: ObjectiveSpec = { kind: 'fastest-safe', accuracyFloor: settings.accuracyFloor, tMin: 2 };
  const truthA = truthOf(a, objective);
  const truthB = truthOf(b, objective);
  const sameBest = JSON.stringify(truthA.bestConfig) === JSON.stringify(truthB.bestConfig);
  say(
    `host A: ${settings.table} (${a.index.cells.size} configs, best ${truthA.best.toFixed(3)} s); host B: x${settings.factor} with a per-config spread of ${settings.spread} ` +
      `(best ${truthB.best.toFixed(3)} s, ${sameBest ? 'the same' : 'another'} best config; ${[...truthB.values.values()].filter((v) => v <= truthB.best * (1 + WITHIN)).length} configs within 5%)`,
  );
  const cold: Method = { label: 'cold start', kind: 'autotune', sampler: 'tpe', repeats: settings.repeats };
  const outcomes = new Map<string, Awaited<ReturnType<typeof runMethod>>[]>();
  const labels = ['cold start', `warm start (top ${settings.top})`, 'warm start (sampler only, top 0)'];
  for (const l of labels) outcomes.set(l, []);
  const hitsInSource: number[] = [];
  for (let seed = 1; seed <= settings.seeds; seed++) {
    const warm = await sourceStudy(a, objective, settings, seed);
    hitsInSource.push(warm.top.filter((t) => truthB.values.has(configKey(t.params)) && truthB.values.get(configKey(t.params))! <= truthB.best * (1 + WITHIN)).length > 0 ? 1 : 0);
    const ctx = { bench: b, truth: truthB, objective, budget: settings.budget, optuna: null };
    outcomes.get(labels[0]!)!.push(await runMethod(ctx, cold, seed));
    outcomes.get(labels[1]!)!.push(await runMethod(ctx, { ...cold, label: labels[1]!, runner: { warmStart: warm } }, seed));
    outcomes.get(labels[2]!)!.push(await runMethod(ctx, { ...cold, label: labels[2]!, runner: { warmStart: { ...warm, top: [] } } }, seed));
  }
  const summaries = labels.map((l) => summarize(l, outcomes.get(l)!));
  const coldFigures = summaries[0]!.outcomes.map((o) => o.challenges ?? Infinity);
  const rows: Row[] = summaries.map((summary, i) => {
    if (i === 0) return { summary, vsCold: '-' };
    const r = ratioInterval(summary.outcomes.map((o) => o.challenges ?? Infinity), coldFigures);
    return { summary, vsCold: Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x [${r.low.toFixed(2)}, ${r.high.toFixed(2)}]` : 'n/a' };
  });
  const text = formatRows(rows, settings, hitsInSource.reduce((s, h) => s + h, 0));
  say('');
  say(text);
  const md = join(settings.outDir, 'warm.md');
  writeFileSync(md, `# npm run bench:warm\n\n${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s\n\n\`\`\`\n${text}\n\`\`\`\n`);
  writeFileSync(
    join(settings.outDir, 'warm.json'),
    `${JSON.stringify({ settings, hostB: bFile, truth: { a: truthA.best, b: truthB.best, sameBest }, rows: rows.map((r) => ({ vsCold: r.vsCold, ...r.summary, median: fin(r.summary.median), p80: fin(r.summary.p80), outcomes: r.summary.outcomes.map((o) => o.challenges) })) }, null, 2)}\n`,
  );
  say(`\nsaved ${md}, warm.json and ${bFile}`);
  return rows;
}

const fin = (v: number) => (Number.isFinite(v) ? v : null);
const count = (v: number, budget: number) => (Number.isFinite(v) ? v.toFixed(0) : `>${budget}`);

function formatRows(rows: readonly Row[], settings: WarmBenchSettings, sourceHits: number): string {
  const table = formatTable(rows, [
    { header: 'host B study', value: (r) => r.summary.label },
    { header: 'challenges to 5%: median', value: (r) => count(r.summary.median, settings.budget), align: 'right' },
    { header: 'p80', value: (r) => count(r.summary.p80, settings.budget), align: 'right' },
    { header: 'reached', value: (r) => `${r.summary.hits}/${r.summary.outcomes.length}`, align: 'right' },
    { header: 'trials (median)', value: (r) => r.summary.medianTrials.toFixed(0), align: 'right' },
    { header: 'vs cold [95% CI]', value: (r) => r.vsCold, align: 'right' },
  ]);
  const notes = [
    `${settings.seeds} seeds; each seed: a host-A study of ${settings.sourceTrials} sampled TPE trials, then host-B studies (TPE, ${settings.repeats} repeats per video per trial, the baselines first, at most ${settings.budget} challenges).`,
    `Challenges on host B until the best feasible config it measured is within 5% of host B's best (all rows of a config); a warm start's re-measured configs count.`,
    `In ${sourceHits} of ${settings.seeds} seeds a re-measured top-${settings.top} config of host A was already within 5% on host B. vs cold: ratio of medians, bootstrap over seeds.`,
  ];
  return `${table}\n\n${notes.join('\n')}`;
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  try {
    await runWarmBench(parseWarmBenchArgs(hideBin(process.argv)), (line) => process.stdout.write(`${line}\n`));
  } catch (err) {
    process.stderr.write(`bench:warm: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

