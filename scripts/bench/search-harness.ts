// The search benchmark's core (`npm run bench:search`): on a replay table that covers every config of
// its space, many seeded studies per method, each measured in challenges until the incumbent (the best
// feasible config as the method itself sees it) is within 5% of the table's best feasible config.
//
// This project's methods run the real study runner (an in-memory SQLite store) on the replay
// evaluator; Optuna's samplers are asked through scripts/bench/optuna_driver.py, and their configs are
// replayed here with the same evaluator and judged by the same objective function, so both sides see
// the same draws and the same rule. Both measure the space's baselines first (Optuna gets them
// enqueued). A config's "true" figures are the objective over all of its rows in the table.

import { performance } from 'node:perf_hooks';
import { ReplayEvaluator, replayedSn44 } from '../../src/replay/evaluator.js';
import { fitTable, type ReplayIndex } from '../../src/replay/fit.js';
import { readReplayTable } from '../../src/replay/read.js';
import { configKey, createRng, createSampler, gridPoint, gridSize, loadSpace, orderedParams, type Config, type Space } from '../../src/search/index.js';
import { openStorage } from '../../src/store/index.js';
import type { ObjectiveSpec } from '../../src/store/types.js';
import { directionOf, evaluateObjective, type Observation } from '../../src/study/objective.js';
import { openStudy } from '../../src/study/open.js';
import type { RepeatPolicy } from '../../src/study/policy.js';
import { runStudy, type RunStudyOptions } from '../../src/study/runner.js';
import type { OptunaDriver } from './optuna.js';

export const WITHIN = 0.05;

export interface BenchTable {
  name: string;
  file: string;
  space: Space;
  index: ReplayIndex;
  videos: string[];
}

/** A table and its space, refused unless every config of the space has rows on every video. */
export function loadBenchTable(name: string, tableFile: string, spaceFile: string): BenchTable {
  const table = readReplayTable(tableFile);
  const space = loadSpace(spaceFile, { knobs: table.knobs, evaluator: `the replay of ${tableFile}` });
  const index = fitTable(table, space);
  const n = gridSize(space);
  if (!Number.isFinite(n) || n > 100_000) throw new Error(`${spaceFile}: the search benchmark needs a finite space (all knobs discrete), got ${n} configs`);
  const lacking: string[] = [];
  for (let i = 0; i < n; i++) {
    const config = gridPoint(space, i);
    const cell = index.cells.get(configKey(config));
    if (!cell || table.videos.some((v) => !cell.has(v))) lacking.push(JSON.stringify(config));
  }
  if (lacking.length > 0) {
    throw new Error(`${tableFile} lacks rows for ${lacking.length} of the ${n} configs of ${spaceFile} (e.g. ${lacking[0]}): the search benchmark needs a table that covers its space`);
  }
  return { name, file: tableFile, space, index, videos: table.videos };
}

export interface Truth {
  direction: 'minimize' | 'maximize';
  best: number;
  bestConfig: Config;
  /** configKey -> the objective over every row of the config; feasible configs only. */
  values: Map<string, number>;
  feasible: number;
  configs: number;
}

export function truthOf(bench: BenchTable, objective: ObjectiveSpec): Truth {
  const direction = directionOf(objective);
  const values = new Map<string, number>();
  let best: { value: number; config: Config } | null = null;
  for (const [key, byVideo] of bench.index.cells) {
    const observations: Observation[] = [...byVideo.values()].flat().map((row) => ({
      videoUrl: row.video,
      total: row.total,
      accuracy: row.accuracy,
      coverage: row.coverage,
      truthF1: null,
      sn44: replayedSn44(row, objective.tMin),
      error: row.failed ? { reason: row.reason ?? 'replay', message: 'recorded failure' } : null,
    }));
    const figures = evaluateObjective(observations, objective, null);
    if (!figures.feasible || figures.value === null) continue;
    values.set(key, figures.value);
    if (!best || (direction === 'minimize' ? figures.value < best.value : figures.value > best.value)) best = { value: figures.value, config: bench.index.configs.get(key)! };
  }
  if (!best) throw new Error(`${bench.file}: no config is feasible under ${objective.kind}`);
  return { direction, best: best.value, bestConfig: best.config, values, feasible: values.size, configs: bench.index.cells.size };
}

/** Whether a config's true value is within WITHIN of the best (false for a config that is not feasible). */
export function closeEnough(truth: Truth, config: Config): boolean {
  const value = truth.values.get(configKey(config));
  if (value === undefined) return false;
  return truth.direction === 'minimize' ? value <= truth.best * (1 + WITHIN) : value >= truth.best * (1 - WITHIN);
}

export interface Method {
  label: string;
  kind: 'autotune' | 'optuna';
  sampler: 'tpe' | 'random';
  /** Challenges per video per trial (Optuna: a number; this project: also adaptive repeats). */
  repeats: number | RepeatPolicy;
  /** autotune: options handed to the study runner on top of the bench's own (e.g. racing, the control). */
  runner?: Partial<RunStudyOptions>;
}

export interface StudyOutcome {
  /** Challenges spent until the incumbent came within 5% of the best; null when the budget ran out first. */
  challenges: number | null;
  /** Trials started (baselines included) until then, or until the budget ran out. */
  trials: number;
  spent: number;
  ms: number;
}

export interface BenchContext {
  bench: BenchTable;
  truth: Truth;
  objective: ObjectiveSpec;
  /** Most challenges a study may spend. */
  budget: number;
  optuna: OptunaDriver | null;
}

export async function runMethod(ctx: BenchContext, method: Method, seed: number): Promise<StudyOutcome> {
  return method.kind === 'autotune' ? runAutotune(ctx, method, seed) : runOptuna(ctx, method, seed);
}

async function runAutotune(ctx: BenchContext, method: Method, seed: number): Promise<StudyOutcome> {
  const started = performance.now();
  const storage = await openStorage(':memory:');
  try {
    const { study } = await openStudy(storage, { name: 'bench', spaceFile: ctx.bench.space.file, space: ctx.bench.space, objective: ctx.objective, settings: {}, host: {} });
    const evaluator = new ReplayEvaluator(ctx.bench.index, { seed, missing: 'error', tMin: ctx.objective.tMin });
    const stop = new AbortController();
    const params = new Map<number, Config>();
    let spent = 0;
    let trials = 0;
    let hit: number | null = null;
    await runStudy({
      storage,
      study,
      evaluator,
      videos: ctx.bench.videos.map((url) => ({ url })),
      space: ctx.bench.space,
      baselines: ctx.bench.space.baselines,
      sampler: createSampler(method.sampler),
      seed,
      trials: null,
      timeLimitMs: null,
      repeats: method.repeats,
      confirmTop: 0,
      confirmRepeats: 0,
      ...method.runner,
      stop: stop.signal,
      events: {
        trialStart: ({ trial }) => {
          trials++;
          params.set(trial.number, trial.params);
        },
        challenge: () => {
          spent++;
          if (spent >= ctx.budget) stop.abort();
        },
        trialEnd: ({ best }) => {
          if (hit === null && best && closeEnough(ctx.truth, params.get(best.number)!)) {
            hit = spent;
            stop.abort();
          }
        },
      },
    });
    return { challenges: hit, trials, spent, ms: performance.now() - started };
  } finally {
    await storage.close();
  }
}

async function runOptuna(ctx: BenchContext, method: Method, seed: number): Promise<StudyOutcome> {
  const driver = ctx.optuna!;
  const started = performance.now();
  const space = ctx.bench.space;
  const direction = directionOf(ctx.objective);
  await driver.study({
    sampler: method.sampler,
    seed,
    direction,
    params: orderedParams(space).map((p) => ({
      name: p.name,
      type: p.type,
      ...(p.type === 'bool' ? { choices: [0, 1] } : p.choices ? { choices: p.choices } : {}),
      ...(p.low !== undefined ? { low: p.low, high: p.high } : {}),
      ...(p.step !== undefined ? { step: p.step } : {}),
      ...(p.log ? { log: true } : {}),
      ...(p.when ? { when: p.when } : {}),
    })),
    enqueue: space.baselines.map((b) => searched(b.config, space)),
  });
  const evaluator = new ReplayEvaluator(ctx.bench.index, { seed, missing: 'error', tMin: ctx.objective.tMin });
  let spent = 0;
  let trials = 0;
  let best: { value: number; config: Config } | null = null;
  while (spent < ctx.budget) {
    const config: Config = { ...space.fixed, ...(await driver.ask()) };
    trials++;
    const observations: Observation[] = [];
    const repeats = typeof method.repeats === 'number' ? method.repeats : 1;
    for (let repeat = 1; repeat <= repeats && spent < ctx.budget; repeat++) {
      for (const url of ctx.bench.videos) {
        const r = evaluator.replay(config, { url });
        spent++;
        observations.push({ videoUrl: url, total: r.timeline.total, accuracy: r.accuracy, coverage: r.coverage, truthF1: null, sn44: r.sn44, error: r.error });
      }
    }
    const figures = evaluateObjective(observations, ctx.objective, null);
    const allFailed = figures.failed === figures.challenges;
    await driver.tell(allFailed ? null : figures.value, figures.violation);
    if (figures.feasible && figures.value !== null && (!best || (direction === 'minimize' ? figures.value < best.value : figures.value > best.value))) {
      best = { value: figures.value, config };
      if (closeEnough(ctx.truth, config)) return { challenges: spent, trials, spent, ms: performance.now() - started };
    }
  }
  return { challenges: null, trials, spent, ms: performance.now() - started };
}

/** The searched knobs of a complete config (what Optuna suggests). */
function searched(config: Config, space: Space): Config {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !(k in space.fixed)));
}

export interface MethodSummary {
  label: string;
  outcomes: StudyOutcome[];
  /** Challenges until within 5%: median and 80th percentile over seeds (Infinity: not reached in the budget). */
  median: number;
  p80: number;
  hits: number;
  medianTrials: number;
  trialsPerMinute: number;
}

export function summarize(label: string, outcomes: StudyOutcome[]): MethodSummary {
  const figures = outcomes.map((o) => o.challenges ?? Infinity);
  const trials = outcomes.reduce((s, o) => s + o.trials, 0);
  const ms = outcomes.reduce((s, o) => s + o.ms, 0);
  return {
    label,
    outcomes,
    median: quantile(figures, 0.5),
    p80: quantile(figures, 0.8),
    hits: outcomes.filter((o) => o.challenges !== null).length,
    medianTrials: quantile(outcomes.map((o) => o.trials), 0.5),
    trialsPerMinute: ms > 0 ? (trials / ms) * 60_000 : Infinity,
  };
}

/** Linear interpolation between order statistics (R type 7); Infinity stays Infinity. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  if (lo === hi || s[lo] === s[hi]) return s[lo]!;
  if (!Number.isFinite(s[hi]!)) return Infinity;
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** Percentile-bootstrap 95% interval of median(a) / median(b), resampling the seeds of each. */
export function ratioInterval(a: readonly number[], b: readonly number[], resamples = 2000): { ratio: number; low: number; high: number } {
  const rng = createRng(15, 0x5ea4c4);
  const draw = (xs: readonly number[]) => quantile(Array.from({ length: xs.length }, () => xs[rng.int(xs.length)]!), 0.5);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) ratios.push(draw(a) / draw(b));
  return { ratio: quantile(a, 0.5) / quantile(b, 0.5), low: quantile(ratios, 0.025), high: quantile(ratios, 0.975) };
}
