// `npm run bench:truth`: can a study's figures be trusted? Two or more independent studies (grid order
// seeded differently) of the same small space on the lab, measuring every config, then
//  (a) Kendall's tau between each two studies' rankings of the configs in either one's top 5, and
//  (b) each winner's confirmation-race median against its search median, in seconds and as ratios to
//      the control measured near each challenge (the host's own speed moves between the two phases),
//      with the bootstrap interval of that ratio: the gap the two phases' own noise allows;
// then the same two studies with a CPU load (twice as many busy threads as cores) switched on once
// half of their trials are done and kept on to the end: do the ratios to the control keep the quiet
// studies' winner (and would the absolute figures have)? Prints a table and saves
// results/bench/truth-<timestamp>.{md,json} with the studies' database.
//
//   npm run bench:truth -- [--frames 50] [--size 640x360] [--clips 2] [--seeds 1,2[,3...]] [--space scripts/bench/truth.yaml] [--confirm-top 5] [--no-load]
//
// The machine is shared: the 1-minute load average is sampled through each study and printed with it.

import { execa, type ResultPromise } from 'execa';
import { availableParallelism, loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleStandardDeviation } from 'simple-statistics';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { pipelineEvaluatorFactory } from '../src/pipeline/factory.js';
import { configKey } from '../src/search/index.js';
import { DEFAULT_MAX_REPEATS, DEFAULT_RACE, type MeasurePolicy } from '../src/study/policy.js';
import type { MeasurementRecord, ObjectiveSpec, TrialRecord } from '../src/store/types.js';
import { ControlSeries, createNormaliser, findControlTrial } from '../src/study/control.js';
import { analyseStudy, type StudyAnalysis } from '../src/study/ranking.js';
import { MIN_SEARCH_FOR_GAP } from '../src/study/notes.js';
import { openSession } from '../src/study/session.js';
import { bootstrapMedianInterval, bootstrapMedianRatioInterval, kendallTau, median, normalCdf, type Interval } from '../src/study/stats.js';
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
  .option('seeds', { type: 'string', default: '1,2', describe: 'grid seeds of the studies (two or more)' })
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
    /** Each phase's challenges and the bootstrap 95% interval of their median. */
    phases: { search: PhaseSpread | null; race: PhaseSpread | null };
    /** Bootstrap 95% interval of the race/search median ratio: the gap the phases' own noise allows (a gap beyond 5% may be within it). */
    gap: Interval | null;
  } | null;
  /** The winner by absolute search figures, ignoring the control. */
  absoluteWinner: string | null;
  saved: number;
  /**
   * Race median over search median of every raced config with at least MIN_SEARCH_FOR_GAP search challenges,
   * the winner's included: how far any config's figures move between the phases on this host.
   */
  phaseGaps: { key: string; ratio: number }[];
  /** log(later / earlier) of each two consecutive search repeats of one config on one video: the challenge-to-challenge noise. */
  repeatLogRatios: number[];
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
        gap: bootstrapMedianRatioInterval(totalsOf(measurements, trials, w.number, 'confirm'), totalsOf(measurements, trials, w.number, 'search')),
      },
      absoluteWinner: blind.winner ? configKey(blind.winner.params) : null,
      saved: a.saved,
      repeatLogRatios: repeatLogRatios(measurements),
      phaseGaps: trials.flatMap((t) => {
        const search = totalsOf(measurements, trials, t.number, 'search');
        const race = totalsOf(measurements, trials, t.number, 'confirm');
        return search.length >= MIN_SEARCH_FOR_GAP && race.length > 0 ? [{ key: configKey(t.params), ratio: median(race)! / median(search)! }] : [];
      }),
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

function totalsOf(measurements: MeasurementRecord[], trials: TrialRecord[], number: number, phase: string): number[] {
  const trialId = trials.find((t) => t.number === number)?.id;
  return measurements.filter((m) => m.trialId === trialId && m.phase === phase && m.error === null).map((m) => m.timeline.total!);
}

function spreadOf(measurements: MeasurementRecord[], trials: TrialRecord[], number: number, phase: string): PhaseSpread | null {
  const totals = totalsOf(measurements, trials, number, phase);
  const interval = bootstrapMedianInterval(totals);
  return interval && { n: totals.length, ...interval };
}

const pct = (v: number | null) => (v === null ? '-' : `${v >= 1 ? '+' : ''}${((v - 1) * 100).toFixed(1)}%`);
const within5 = (v: number | null | undefined) => v != null && Math.abs(v - 1) <= 0.05;
/** The gap's interval excludes no gap: the phases differ by more than their noise explains. */
const beyondNoise = (gap: Interval | null) => gap !== null && (gap.low > 1 || gap.high < 1);

function repeatLogRatios(measurements: MeasurementRecord[]): number[] {
  const byRepeat = new Map<string, number>();
  for (const m of measurements) if (m.phase === 'search' && m.error === null) byRepeat.set(`${m.trialId} ${m.videoUrl} ${m.repeat}`, m.timeline.total!);
  return measurements.flatMap((m) => {
    const earlier = byRepeat.get(`${m.trialId} ${m.videoUrl} ${m.repeat - 1}`);
    return m.phase === 'search' && m.error === null && earlier !== undefined ? [Math.log(m.timeline.total! / earlier)] : [];
  });
}

/**
 * Is the winners' gap the phases' sampling noise? The per-challenge spread from consecutive repeats
 * (sd of the log ratio over sqrt 2), the spread of a median of n (1.2533 sd / sqrt n for normal noise),
 * and so the share of studies whose race median lands within 5% of the search median by noise alone.
 * Consecutive repeats share the host's state, so this is short-term noise only: a config's speed that
 * wanders over minutes widens the real gap beyond it.
 */
function noiseModel(runs: StudyFigures[]): string {
  const logs = runs.flatMap((r) => r.repeatLogRatios);
  const withBoth = runs.flatMap((r) => (r.winner?.phases.search && r.winner.phases.race ? [r.winner] : []));
  if (logs.length < 3 || withBoth.length === 0) return 'Noise model: too few repeats.';
  const cv = sampleStandardDeviation(logs) / Math.SQRT2;
  const expected = (ns: number, nr: number) => {
    const sd = 1.2533 * cv * Math.sqrt(1 / ns + 1 / nr);
    return 2 * normalCdf(0.05 / sd) - 1;
  };
  const share = median(withBoth.map((w) => expected(w.phases.search!.n, w.phases.race!.n)))!;
  const needed = Array.from({ length: 200 }, (_, i) => i + 2).find((n) => expected(n, n) >= 0.95);
  return (
    `Noise model: one challenge's spread on this host ${(cv * 100).toFixed(1)}% (${logs.length} pairs of consecutive search repeats); at the winners' challenges ` +
    `a race median within 5% of the search median by that noise alone in ${(share * 100).toFixed(0)}% of studies, seen in ${withBoth.filter((w) => within5(w.ratio)).length} of ${withBoth.length}; ` +
    `95% of studies would need ${needed ?? 'over 200'} challenges in each phase (a best case: consecutive repeats share the host's state, the phases minutes apart do not)`
  );
}

/** The same gap for every raced config of the quiet studies: the winners' gaps set against the host's own. */
function hostFloor(runs: StudyFigures[]): string {
  const all = runs.flatMap((r) => r.phaseGaps.map((g) => Math.abs(g.ratio - 1)));
  if (all.length === 0) return 'Every raced config: none had both phases.';
  return (
    `Every raced config with ${MIN_SEARCH_FOR_GAP}+ search challenges (${all.length} over ${runs.length} studies, winners included): race/search median within 5% on ` +
    `${all.filter((g) => g <= 0.05).length}; median distance ${(median(all)! * 100).toFixed(1)}%, largest ${(Math.max(...all) * 100).toFixed(1)}%`
  );
}

/** Each two studies' top-5 tau. */
function pairTaus(runs: StudyFigures[]): { pair: string; tau: number | null }[] {
  return runs.flatMap((a, i) => runs.slice(i + 1).map((b) => ({ pair: `${a.name}/${b.name}`, tau: topFiveTau(a, b) })));
}

function describeTaus(taus: { pair: string; tau: number | null }[]): string {
  if (taus.length === 1) return taus[0]!.tau?.toFixed(2) ?? '-';
  const values = taus.map((t) => t.tau).filter((t): t is number => t !== null);
  const atTarget = values.filter((t) => t >= 0.8).length;
  return `median ${median(values)?.toFixed(2) ?? '-'} over ${taus.length} pairs (lowest ${values.length ? Math.min(...values).toFixed(2) : '-'}; >= 0.8 on ${atTarget} of ${taus.length})`;
}

/** The config most studies crowned (the first study's on a tie). */
function commonWinner(runs: StudyFigures[]): string | undefined {
  const keys = runs.map((r) => r.winner?.key).filter((k): k is string => k !== undefined);
  return keys.sort((a, b) => keys.filter((k) => k === b).length - keys.filter((k) => k === a).length)[0];
}

/** Kendall's tau over the configs in either study's top 5, by their positions in each ranking. */
function topFiveTau(a: StudyFigures, b: StudyFigures): number | null {
  const keys = [...new Set([...a.order.slice(0, 5), ...b.order.slice(0, 5)])].filter((k) => a.order.includes(k) && b.order.includes(k));
  return kendallTau(keys.map((k) => a.order.indexOf(k)), keys.map((k) => b.order.indexOf(k)));
}

async function main(): Promise<void> {
  const seeds = args.seeds.split(',').map(Number);
  if (seeds.length < 2 || seeds.some((s) => !Number.isInteger(s)) || new Set(seeds).size !== seeds.length) throw new Error('--seeds takes two or more different integers, e.g. 1,2');
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
  const tauQuiet = pairTaus(quiet);
  const tauLoaded = pairTaus(loadedRuns);
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
    { header: 'race/search interval', value: (r) => (r.winner?.gap ? `[${pct(r.winner.gap.low)}, ${pct(r.winner.gap.high)}]` : '-'), align: 'right' },
    { header: 'absolute winner', value: (r) => (r.absoluteWinner ? describeConfig(r.absoluteWinner) : '-') },
  ]);
  const quietWinner = commonWinner(quiet);
  const quietAgree = quiet.every((r) => r.winner?.key === quietWinner);
  const gaps = quiet.map((r) => r.winner?.ratio).filter((g): g is number => g != null);
  const lines = [
    '',
    `Truth benchmark (${args.frames}-frame ${args.size} lab clips x ${clips.length}, space ${args.space}, grid seeds ${seeds.join(' and ')}, ` +
      `adaptive repeats up to ${args['max-repeats']}, racing, confirmation race of the top ${args['confirm-top']} x ${args['confirm-repeats']} rounds; ${availableParallelism()} cores):`,
    '',
    table,
    '',
    `Kendall tau of the top-5 rankings: quiet ${describeTaus(tauQuiet)} (target >= 0.8)` + (tauLoaded.length ? `, loaded ${describeTaus(tauLoaded)}` : ''),
    `Quiet winners: ${quiet.map((r) => (r.winner ? describeConfig(r.winner.key) : '-')).join(' / ')}${quietAgree ? ' (the same)' : ' (different)'}; ` +
      `confirmation median within 5% of the search median: ${quiet.map((r) => (within5(r.winner?.ratio) ? 'yes' : 'no')).join(' / ')}` +
      ` (as ratios to the control: ${quiet.map((r) => (within5(r.winner?.controlRatio) ? 'yes' : 'no')).join(' / ')})`,
    `Race/search gap of the quiet winners: median ${pct(median(gaps))} over ${gaps.length} studies (${gaps.map((g) => pct(g)).join(', ')}); ` +
      `within 5% on ${gaps.filter((g) => within5(g)).length}; beyond the phases' own noise (the gap's 95% interval excludes 0) on ${quiet.filter((r) => beyondNoise(r.winner?.gap ?? null)).length}` +
      `; those intervals' median half-width ±${((median(quiet.flatMap((r) => (r.winner?.gap ? [(r.winner.gap.high - r.winner.gap.low) / 2] : []))) ?? 0) * 100).toFixed(1)}%`,
    ...(loadedRuns.length
      ? [
          `Loaded runs keep the quiet winner: by the ranking (${loadedRuns.map((r) => r.rankedBy).join(' / ')}) ` +
            `${loadedRuns.map((r) => (r.winner?.key === quietWinner ? 'yes' : 'no')).join(' / ')}; by absolute figures ${loadedRuns.map((r) => (r.absoluteWinner === quietWinner ? 'yes' : 'no')).join(' / ')}`,
        ]
      : []),
    hostFloor(quiet),
    noiseModel(quiet),
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
