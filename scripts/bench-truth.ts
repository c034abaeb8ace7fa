// `npm run bench:truth`: can a study's figures be trusted? Two independent studies (grid order seeded
// differently) of the same small space on the lab, measuring every config, then
//  (a) Kendall's tau between their rankings of the configs in either study's top 5, and
//  (b) each winner's confirmation-race median against its search median, in seconds and as ratios to
//      the control measured near each challenge (the host's own speed moves between the two phases);
// then the same two studies with a CPU load (twice as many busy threads as cores) switched on once
// half of their trials are done and kept on to the end: do the ratios to the control keep the quiet
// studies' winner (and would the absolute figures have)? Prints a table and saves
// results/bench/truth-<timestamp>.{md,json} with the studies' database.
//
//   npm run bench:truth -- [--frames 50] [--size 640x360] [--clips 2] [--seeds 1,2] [--space scripts/bench/truth.yaml] [--confirm-top 5]
//
// The machine is shared: the 1-minute load average is sampled through each study and printed with it.

import { execa, type ResultPromise } from 'execa';
import { availableParallelism, loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { pipelineEvaluatorFactory } from '../src/pipeline/factory.js';
import { configKey } from '../src/search/index.js';
import { DEFAULT_MAX_REPEATS, DEFAULT_RACE, type MeasurePolicy } from '../src/study/policy.js';
import type { MeasurementRecord, ObjectiveSpec, TrialRecord } from '../src/store/types.js';
import { ControlSeries, createNormaliser, findControlTrial } from '../src/study/control.js';
import { analyseStudy, type StudyAnalysis } from '../src/study/ranking.js';
import { openSession } from '../src/study/session.js';
import { bootstrapMedianInterval, kendallTau, median } from '../src/study/stats.js';
import { count, formatTable } from '../src/util/format.js';
import { ensureClips, ensureModel } from './bench/assets.js';

const started = Date.now();
const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
const say = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const burner = fileURLToPath(new URL('./bench/cpu-burner.cjs', import.meta.url));

const args = yargs(hideBin(process.argv))
  .usage('npm run bench:truth -- [options]')
  .option('frames', { type: 'number', default: 50, describe: 'frames per lab clip (25 fps)' })
  .option('size', { type: 'string', default: '640x360', describe: 'clip size WIDTHxHEIGHT' })
  .option('accuracy-floor', { type: 'number', default: 0.3, describe: 'low, so that speed decides the ranking (stride 2 answers half the frames)' })
  .option('clips', { type: 'number', default: 2, describe: 'lab clips' })
  .option('seeds', { type: 'string', default: '1,2', describe: 'grid seeds of the two studies' })
  .option('space', { type: 'string', default: 'scripts/bench/truth.yaml', describe: 'search space (small: every config is measured)' })
  .option('model', { type: 'string', default: 'models/lab-detector.onnx' })
  .option('max-repeats', { type: 'number', default: DEFAULT_MAX_REPEATS })
  .option('confirm-top', { type: 'number', default: 5, describe: "sampled trials in the confirmation race (run's default 5: the whole top 5 the tau compares)" })
  .option('confirm-repeats', { type: 'number', default: 5 })
  .option('load', { type: 'boolean', default: true, describe: 'also run the studies with a CPU load in their second half' })
  .option('out', { type: 'string', default: 'results/bench' })
  .strict()
  .parseSync();

interface StudyFigures {
  name: string;
  seed: number;
  loaded: boolean;
  seconds: number;
  /** Mean and max of the 1-minute load average sampled during the study. */
  load: { mean: number; max: number };
  challenges: StudyAnalysis['challenges'];
  control: StudyAnalysis['control'];
  drift: { detected: boolean; factor: number; threshold: number };
  rankedBy: StudyAnalysis['rankedBy'];
  /** Config keys in rank order. */
  order: string[];
  winner: {
    key: string;
    number: number;
    search: number | null;
    confirm: number | null;
    ratio: number | null;
    /** The race's median ratio to the control over the search's: the race/search figure with the host's speed taken out. */
    controlRatio: number | null;
    /** Each phase's challenges and the bootstrap 95% interval of their median: is a gap beyond 5% beyond the noise too? */
    phases: { search: PhaseSpread | null; race: PhaseSpread | null };
  } | null;
  /** The winner by absolute search figures, ignoring the control. */
  absoluteWinner: string | null;
  saved: number;
}

interface PhaseSpread {
  n: number;
  low: number;
  high: number;
}

const describeConfig = (key: string) => {
  const c = JSON.parse(key) as Record<string, unknown>;
  return `IMG_SIZE=${c.IMG_SIZE} FRAME_STRIDE=${c.FRAME_STRIDE}`;
};

async function study(o: { name: string; seed: number; loaded: boolean; db: string; clipsDir: string; clips: string[] }): Promise<StudyFigures> {
  const policy: Pick<MeasurePolicy, 'repeats' | 'racing' | 'confirmTop' | 'confirmRepeats'> = {
    repeats: { kind: 'auto', maxRepeats: args['max-repeats'] },
    racing: DEFAULT_RACE,
    confirmTop: args['confirm-top'],
    confirmRepeats: args['confirm-repeats'],
  };
  const session = await openSession(
    {
      space: args.space,
      study: o.name,
      db: o.db,
      sampler: 'grid',
      seed: o.seed,
      trials: 10,
      timeLimitMs: null,
      ...policy,
      control: undefined,
      warmup: 0,
      objective: { kind: 'fastest-safe', accuracyFloor: args['accuracy-floor'], tMin: 2 },
      device: 'cpu',
      source: { kind: 'samples', dir: o.clipsDir, profile: 'lan', names: o.clips },
      ca: undefined,
    },
    pipelineEvaluatorFactory({ model: args.model, device: 'cpu' }),
    { say: (l) => say(`  ${l}`), warn: (l) => say(`  ${l}`), tty: false },
  );
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(loadavg()[0]!), 5000);
  let load: ResultPromise | null = null;
  let done = 0;
  const t0 = Date.now();
  try {
    const result = await session.run({
      events: {
        trialEnd: ({ trial }) => {
          if (trial.baseline === null) done++;
          say(`  ${o.name}: trial ${trial.number} ${trial.state}${trial.verdict ? ` (${trial.verdict.kind}, ${count(trial.verdict.challenges, 'challenge')})` : ''}`);
          if (o.loaded && !load && done >= 5) {
            say(`  ${o.name}: CPU load on (${2 * availableParallelism()} busy threads)`);
            load = execa('node', [burner], { reject: false });
          }
        },
        drift: ({ line }) => say(`  ${o.name}: ${line}`),
        raceStart: ({ trials }) => say(`  ${o.name}: confirmation race of trials ${trials.map((t) => t.number).join(', ')}`),
      },
    });
    const a = result.analysis;
    const trials = await session.storage.listTrials(session.study.id);
    const measurements = await session.storage.listMeasurements({ studyId: session.study.id });
    const blind = analyseStudy({ trials, measurements, objective: session.study.objective, policy: { ...policy, control: null, warmup: 0 }, videos: session.videos.map((v) => v.url) });
    const w = a.winner;
    return {
      name: o.name,
      seed: o.seed,
      loaded: o.loaded,
      seconds: (Date.now() - t0) / 1000,
      load: { mean: median(samples) ?? loadavg()[0]!, max: Math.max(loadavg()[0]!, ...samples) },
      challenges: a.challenges,
      control: a.control,
      drift: { detected: a.drift.detected, factor: a.drift.factor, threshold: a.drift.threshold },
      rankedBy: a.rankedBy,
      order: a.ranking.map((r) => configKey(r.params)),
      winner: w && {
        key: configKey(w.params),
        number: w.number,
        search: w.search.median,
        confirm: w.phase === 'confirm' ? w.median : null,
        ratio: w.phase === 'confirm' && w.median !== null && w.search.median ? w.median / w.search.median : null,
        controlRatio: phaseRatio(trials, measurements, a.control?.name ?? null, w.number, session.study.objective, a.rankedBy === 'absolute'),
        phases: { search: spreadOf(measurements, trials, w.number, 'search'), race: spreadOf(measurements, trials, w.number, 'confirm') },
      },
      absoluteWinner: blind.winner ? configKey(blind.winner.params) : null,
      saved: a.saved,
    };
  } finally {
    clearInterval(sampler);
    if (load) {
      (load as ResultPromise).kill('SIGKILL');
      await load;
    }
    await session.close();
  }
}

/** A trial's race median over its search median, each challenge set against the control near it (as the study's ranking does). */
function phaseRatio(trials: TrialRecord[], measurements: MeasurementRecord[], control: string | null, number: number, objective: ObjectiveSpec, steady: boolean): number | null {
  const controlTrial = findControlTrial(trials, control);
  const trial = trials.find((t) => t.number === number);
  if (!controlTrial || !trial) return null;
  const normaliser = createNormaliser(ControlSeries.of(controlTrial, measurements.filter((m) => m.trialId === controlTrial.id)), objective, { steady });
  const of = (phase: string) => median(measurements.filter((m) => m.trialId === trial.id && m.phase === phase).map((m) => normaliser.ratio(m)).filter((r): r is number => r !== null));
  const search = of('search');
  const race = of('confirm');
  return search && race ? race / search : null;
}

function spreadOf(measurements: MeasurementRecord[], trials: TrialRecord[], number: number, phase: string): PhaseSpread | null {
  const trialId = trials.find((t) => t.number === number)?.id;
  const totals = measurements.filter((m) => m.trialId === trialId && m.phase === phase && m.error === null).map((m) => m.timeline.total!);
  const interval = bootstrapMedianInterval(totals);
  return interval && { n: totals.length, ...interval };
}

/** Whether the two phases' median intervals overlap: a gap between the medians that their own noise can explain. */
const overlap = (w: StudyFigures['winner']) =>
  w?.phases.search && w.phases.race ? (w.phases.search.high >= w.phases.race.low && w.phases.race.high >= w.phases.search.low ? 'yes' : 'no') : '-';

/** Kendall's tau over the configs in either study's top 5, by their positions in each ranking. */
function topFiveTau(a: StudyFigures, b: StudyFigures): number | null {
  const keys = [...new Set([...a.order.slice(0, 5), ...b.order.slice(0, 5)])].filter((k) => a.order.includes(k) && b.order.includes(k));
  return kendallTau(keys.map((k) => a.order.indexOf(k)), keys.map((k) => b.order.indexOf(k)));
}

async function main(): Promise<void> {
  const seeds = args.seeds.split(',').map(Number);
  if (seeds.length !== 2 || seeds.some((s) => !Number.isInteger(s))) throw new Error('--seeds takes two integers, e.g. 1,2');
  await mkdir(args.out, { recursive: true });
  const base = join(args.out, `truth-${stamp}`);
  const db = `${base}.db`;
  await ensureModel(args.model, say);
  const [width, height] = args.size.split('x').map(Number) as [number, number];
  const { dir, clips } = await ensureClips({ frames: args.frames, clips: args.clips, width, height, fps: 25 }, say);
  say(`host: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: StudyFigures[] = [];
  for (const loaded of args.load ? [false, true] : [false]) {
    for (const seed of seeds) {
      const name = `${loaded ? 'loaded' : 'quiet'}-${seed}`;
      say(`=== study ${name} ===`);
      results.push(await study({ name, seed, loaded, db, clipsDir: dir, clips: clips.map((c) => c.name) }));
    }
  }
  const quiet = results.filter((r) => !r.loaded);
  const loadedRuns = results.filter((r) => r.loaded);
  const tauQuiet = topFiveTau(quiet[0]!, quiet[1]!);
  const tauLoaded = loadedRuns.length === 2 ? topFiveTau(loadedRuns[0]!, loadedRuns[1]!) : null;
  const pct = (v: number | null) => (v === null ? '-' : `${((v - 1) * 100).toFixed(1)}%`);
  const table = formatTable(results, [
    { header: 'study', value: (r) => r.name },
    { header: 'load', value: (r) => (r.loaded ? '2nd half' : 'none') },
    { header: 'load avg (mean/max)', value: (r) => `${r.load.mean.toFixed(1)}/${r.load.max.toFixed(1)}`, align: 'right' },
    { header: 'minutes', value: (r) => (r.seconds / 60).toFixed(1), align: 'right' },
    { header: 'challenges', value: (r) => String(r.challenges.total), align: 'right' },
    { header: 'control', value: (r) => (r.control ? `${r.control.challenges} (${(r.control.share * 100).toFixed(0)}%)` : '-'), align: 'right' },
    { header: 'drift', value: (r) => `${r.drift.factor.toFixed(2)}x${r.drift.detected ? ' DRIFT' : ''}`, align: 'right' },
    { header: 'ranked by', value: (r) => r.rankedBy },
    { header: 'winner', value: (r) => (r.winner ? describeConfig(r.winner.key) : '-') },
    { header: 'race/search median', value: (r) => pct(r.winner?.ratio ?? null), align: 'right' },
    { header: 'as ratios to the control', value: (r) => pct(r.winner?.controlRatio ?? null), align: 'right' },
    { header: 'challenges (search/race)', value: (r) => `${r.winner?.phases.search?.n ?? 0}/${r.winner?.phases.race?.n ?? 0}`, align: 'right' },
    { header: 'intervals overlap', value: (r) => overlap(r.winner), align: 'right' },
    { header: 'absolute winner', value: (r) => (r.absoluteWinner ? describeConfig(r.absoluteWinner) : '-') },
  ]);
  const quietWinner = quiet[0]!.winner?.key;
  const quietAgree = quiet.every((r) => r.winner?.key === quietWinner);
  const lines = [
    '',
    `Truth benchmark (${args.frames}-frame ${args.size} lab clips x ${clips.length}, space ${args.space}, grid seeds ${seeds.join(' and ')}, ` +
      `adaptive repeats up to ${args['max-repeats']}, racing, confirmation race of the top ${args['confirm-top']} x ${args['confirm-repeats']} rounds; ${availableParallelism()} cores):`,
    '',
    table,
    '',
    `Kendall tau of the top-5 rankings: quiet ${tauQuiet?.toFixed(2) ?? '-'} (target >= 0.8)` + (tauLoaded === null ? '' : `, loaded ${tauLoaded?.toFixed(2) ?? '-'}`),
    `Quiet winners: ${quiet.map((r) => (r.winner ? describeConfig(r.winner.key) : '-')).join(' / ')}${quietAgree ? ' (the same)' : ' (different)'}; ` +
      `confirmation median within 5% of the search median: ${quiet.map((r) => (r.winner?.ratio != null && Math.abs(r.winner.ratio - 1) <= 0.05 ? 'yes' : 'no')).join(' / ')}` +
      ` (as ratios to the control: ${quiet.map((r) => (r.winner?.controlRatio != null && Math.abs(r.winner.controlRatio - 1) <= 0.05 ? 'yes' : 'no')).join(' / ')})`,
    ...(loadedRuns.length
      ? [
          `Loaded runs keep the quiet winner: by the ranking (${loadedRuns.map((r) => r.rankedBy).join(' / ')}) ` +
            `${loadedRuns.map((r) => (r.winner?.key === quietWinner ? 'yes' : 'no')).join(' / ')}; by absolute figures ${loadedRuns.map((r) => (r.absoluteWinner === quietWinner ? 'yes' : 'no')).join(' / ')}`,
        ]
      : []),
    '',
    `Saved ${base}.md, ${base}.json and the studies in ${db}. Total ${((Date.now() - started) / 60000).toFixed(1)} min.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const json = { startedAt: new Date(started).toISOString(), settings: args, cores: availableParallelism(), results, tauQuiet, tauLoaded };
  await writeFile(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${base}.md`, `# Truth benchmark ${stamp}\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:truth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
