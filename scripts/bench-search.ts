// npm run bench:search [-- --table FILE.csv [--space FILE.yaml]]: how many challenges each search
// method spends until its best feasible config is within 5% of the table's best feasible config,
// median and 80th percentile over seeded studies, for the fastest-safe and the sn44 objectives.
// Methods: this project's TPE and random search (the real study runner on the replay evaluator), and
// Optuna's TPE and random samplers as the peer (skipped with a message when python3-optuna is
// missing). Built-in tables: scripts/bench/tables/ (see the README there). Printed, and saved as
// results/bench/search.md and search.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { parseRepeats } from '../src/cli/options.js';
import type { ObjectiveSpec } from '../src/store/types.js';
import { DEFAULT_MAX_REPEATS, DEFAULT_RACE, describeRepeats, type RepeatPolicy } from '../src/study/policy.js';
import type { RunStudyOptions } from '../src/study/runner.js';
import { formatTable } from '../src/util/format.js';
import { startOptuna, type OptunaDriver } from './bench/optuna.js';
import {
  loadBenchTable,
  ratioInterval,
  runMethod,
  summarize,
  truthOf,
  WITHIN,
  type BenchTable,
  type Method,
  type MethodSummary,
} from './bench/search-harness.js';

export const BUILT_IN_TABLES = ['lab-quick', 'lab-link', 'lab-mixed'].map((name) => ({
  name,
  table: `scripts/bench/tables/${name}.csv`,
  space: `scripts/bench/tables/${name}.yaml`,
}));

export interface SearchBenchSettings {
  tables: { name: string; table: string; space: string }[];
  seeds: number;
  budget: number;
  /** This project's repeats: a number, or adaptive (autotune run's default). */
  repeats: RepeatPolicy;
  optunaRepeats: number;
  objectives: ('fastest-safe' | 'sn44')[];
  accuracyFloor: number;
  tMin: number;
  /** Extra runs of this project's TPE with runner options (e.g. racing): label -> options. */
  variants: { label: string; runner: Record<string, unknown> }[];
  outDir: string;
  /** The python that runs Optuna (default /usr/bin/python3, or $OPTUNA_PYTHON). */
  python?: string;
}

export function parseSearchBenchArgs(argv: string[]): SearchBenchSettings {
  const a = yargs(argv)
    .usage('npm run bench:search -- [options]\n\nChallenges until the best feasible config found is within 5% of the table\'s best, per search method.')
    .option('table', { type: 'string', array: true, describe: 'replay table(s) (CSV); default: the built-in tables of scripts/bench/tables/' })
    .option('space', { type: 'string', array: true, describe: 'the space of each --table (default: FILE.yaml beside FILE.csv)' })
    .option('seeds', { type: 'number', default: 20, describe: 'studies per method (seeds 1..N)' })
    .option('budget', { type: 'number', default: 600, describe: 'most challenges a study may spend' })
    .option('repeats', { type: 'string', default: 'auto', describe: "this project's challenges per video per trial: a number, or auto (autotune run's default)" })
    .option('max-repeats', { type: 'number', default: DEFAULT_MAX_REPEATS, describe: 'the most repeats per video under --repeats auto' })
    .option('optuna-repeats', { type: 'number', default: 1, describe: "Optuna's challenges per video per trial" })
    .option('objectives', { type: 'string', default: 'fastest-safe,sn44', describe: 'objectives, comma-separated' })
    .option('accuracy-floor', { type: 'number', default: 0.98 })
    .option('t-min', { type: 'number', default: 2 })
    .option('variant', { type: 'string', array: true, describe: "another run of this project's TPE with study-runner options: 'LABEL={\"option\":value}' (e.g. racing)" })
    .option('out', { type: 'string', default: 'results/bench', describe: 'output folder' })
    .strict()
    .parseSync();
  const tables = a.table?.length
    ? a.table.map((table, i) => ({ name: basename(table, '.csv'), table, space: a.space?.[i] ?? join(dirname(table), `${basename(table, '.csv')}.yaml`) }))
    : BUILT_IN_TABLES;
  const objectives = a.objectives.split(',').map((o) => o.trim());
  for (const o of objectives) if (o !== 'fastest-safe' && o !== 'sn44') throw new Error(`unknown objective ${o}: use fastest-safe and/or sn44`);
  const variants = (a.variant ?? []).map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`--variant ${v}: use LABEL={"option":value}`);
    return { label: v.slice(0, eq), runner: JSON.parse(v.slice(eq + 1)) as Record<string, unknown> };
  });
  return {
    tables,
    seeds: a.seeds,
    budget: a.budget,
    repeats: parseRepeats(a.repeats, a['max-repeats']),
    optunaRepeats: a['optuna-repeats'],
    objectives: objectives as SearchBenchSettings['objectives'],
    accuracyFloor: a['accuracy-floor'],
    tMin: a['t-min'],
    variants,
    outDir: a.out,
  };
}

interface Row {
  table: string;
  objective: string;
  summary: MethodSummary;
  vsOptunaTpe: string;
}

export async function runSearchBench(settings: SearchBenchSettings, say: (line: string) => void): Promise<Row[]> {
  const started = Date.now();
  const optuna = await startOptuna(settings.python);
  const driver: OptunaDriver | null = 'missing' in optuna ? null : optuna;
  if (!driver) say(`Optuna skipped: ${(optuna as { missing: string }).missing}`);
  else say(`Optuna ${driver.version} (python3-optuna) as the peer`);
  // This project as `autotune run --evaluator replay` runs by default (adaptive repeats, racing; no
  // control: a replay has no clock), then with a control as on a live host (the space's first
  // baseline), and without racing, to show what each costs or saves.
  const defaults = (): Partial<RunStudyOptions> => ({ racing: DEFAULT_RACE, control: null });
  const methods: ((bench: BenchTable) => Method)[] = [
    () => ({ label: 'autotune tpe', kind: 'autotune', sampler: 'tpe', repeats: settings.repeats, runner: defaults() }),
    (b) => ({ label: 'autotune tpe, with a control', kind: 'autotune', sampler: 'tpe', repeats: settings.repeats, runner: { racing: DEFAULT_RACE, control: b.space.baselines[0]?.name ?? null } }),
    (b) => ({ label: 'autotune tpe, no racing', kind: 'autotune', sampler: 'tpe', repeats: settings.repeats, runner: { ...defaults(), racing: { ...DEFAULT_RACE, enabled: false } } }),
    ...settings.variants.map((v) => (b: BenchTable): Method => ({ label: `autotune ${v.label}`, kind: 'autotune', sampler: 'tpe', repeats: settings.repeats, runner: { ...defaults(), ...v.runner } })),
    () => ({ label: 'autotune random', kind: 'autotune', sampler: 'random', repeats: settings.repeats, runner: defaults() }),
    ...(driver
      ? [
          (): Method => ({ label: 'optuna tpe', kind: 'optuna', sampler: 'tpe', repeats: settings.optunaRepeats }),
          (): Method => ({ label: 'optuna random', kind: 'optuna', sampler: 'random', repeats: settings.optunaRepeats }),
        ]
      : []),
  ];
  const rows: Row[] = [];
  try {
    for (const t of settings.tables) {
      const bench: BenchTable = loadBenchTable(t.name, t.table, t.space);
      for (const kind of settings.objectives) {
        const objective: ObjectiveSpec = { kind, accuracyFloor: settings.accuracyFloor, tMin: settings.tMin };
        if (kind === 'sn44' && !bench.index.table.extras.includes('sn44_quality')) {
          say(`${t.name}: sn44 skipped (the table has no sn44_quality column)`);
          continue;
        }
        const truth = truthOf(bench, objective);
        say(`${t.name} (${bench.index.cells.size} configs, ${bench.videos.length} videos, ${bench.index.table.rows.length} rows), ${kind}: best ${truth.best.toFixed(4)}, ${truth.feasible} feasible configs, ${[...truth.values.keys()].filter((k) => closeEnoughKey(truth, k)).length} within ${WITHIN * 100}%`);
        const summaries: MethodSummary[] = [];
        for (const make of methods) {
          const method = make(bench);
          const outcomes = [];
          for (let seed = 1; seed <= settings.seeds; seed++) outcomes.push(await runMethod({ bench, truth, objective, budget: settings.budget, optuna: driver }, method, seed));
          summaries.push(summarize(method.label, outcomes));
        }
        const optunaTpe = summaries.find((s) => s.label === 'optuna tpe');
        for (const summary of summaries) {
          let vs = '-';
          if (optunaTpe && summary !== optunaTpe) {
            const a = summary.outcomes.map((o) => o.challenges ?? Infinity);
            const b = optunaTpe.outcomes.map((o) => o.challenges ?? Infinity);
            const r = ratioInterval(a, b);
            vs = Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x [${fmt(r.low)}, ${fmt(r.high)}]` : 'n/a';
          }
          rows.push({ table: t.name, objective: kind, summary, vsOptunaTpe: vs });
        }
      }
    }
  } finally {
    await driver?.close();
  }
  const text = formatRows(rows, settings);
  say('');
  say(text);
  mkdirSync(settings.outDir, { recursive: true });
  const md = join(settings.outDir, 'search.md');
  writeFileSync(md, `# npm run bench:search\n\n${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s\n\n\`\`\`\n${text}\n\`\`\`\n`);
  writeFileSync(
    join(settings.outDir, 'search.json'),
    `${JSON.stringify({ settings, rows: rows.map((r) => ({ table: r.table, objective: r.objective, vsOptunaTpe: r.vsOptunaTpe, ...r.summary, median: fin(r.summary.median), p80: fin(r.summary.p80) })) }, null, 2)}\n`,
  );
  say(`\nsaved ${md} and search.json`);
  return rows;
}

function closeEnoughKey(truth: ReturnType<typeof truthOf>, key: string): boolean {
  const v = truth.values.get(key)!;
  return truth.direction === 'minimize' ? v <= truth.best * (1 + WITHIN) : v >= truth.best * (1 - WITHIN);
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'inf');
const fin = (v: number) => (Number.isFinite(v) ? v : null);
const count = (v: number, budget: number) => (Number.isFinite(v) ? v.toFixed(0) : `>${budget}`);

export function formatRows(rows: readonly Row[], settings: SearchBenchSettings): string {
  const table = formatTable(rows, [
    { header: 'table', value: (r) => r.table },
    { header: 'objective', value: (r) => r.objective },
    { header: 'method', value: (r) => r.summary.label },
    { header: 'challenges to 5%: median', value: (r) => count(r.summary.median, settings.budget), align: 'right' },
    { header: 'p80', value: (r) => count(r.summary.p80, settings.budget), align: 'right' },
    { header: 'reached', value: (r) => `${r.summary.hits}/${r.summary.outcomes.length}`, align: 'right' },
    { header: 'trials (median)', value: (r) => r.summary.medianTrials.toFixed(0), align: 'right' },
    { header: 'vs optuna tpe [95% CI]', value: (r) => r.vsOptunaTpe, align: 'right' },
    { header: 'trials/min', value: (r) => r.summary.trialsPerMinute.toFixed(0), align: 'right' },
  ]);
  const notes = [
    `${settings.seeds} seeds per method, at most ${settings.budget} challenges a study; this project ${describeRepeats(settings.repeats)} per video per trial (racing, no control, as autotune run --evaluator replay does, unless the method says otherwise), Optuna ${settings.optunaRepeats} repeat(s).`,
    'Challenges counted until the best feasible config a method has found (by its own measurements) is within 5% of the table\'s best feasible config (all rows of a config);',
    'both sides measure the space\'s baselines first and replay the same rows with the same seed. vs optuna tpe: ratio of medians, bootstrap over seeds.',
  ];
  return `${table}\n\n${notes.join('\n')}`;
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  try {
    await runSearchBench(parseSearchBenchArgs(hideBin(process.argv)), (line) => process.stdout.write(`${line}\n`));
  } catch (err) {
    process.stderr.write(`bench:search: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
