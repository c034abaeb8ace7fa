// `npm run bench:racing`: what racing saves on a real study. Three studies of the same space on the
// lab (the real pipeline on lab clips), same sampler and seed, the control and a confirmation race:
// `autotune run`'s defaults (racing, adaptive repeats that go to contenders only); `--racing off`
// (adaptive repeats kept); and `--racing off --repeats 3`, every trial measured alike, as studies
// ran before racing. Then the defaults' winner measured head to head against each other winner,
// interleaved on the same videos, to say whether they are the same config or tied (paired Wilcoxon
// signed-rank on the log time ratios, two-sided, alpha 0.05; or within 5%).
// Prints a table and saves results/bench/racing-<timestamp>.{md,json} with the studies' database.
//
//   npm run bench:racing -- [--trials 40] [--space search-spaces/sn44.yaml] [--frames 12] [--size 320x180] [--accuracy-floor 0.85]
//
// The machine is shared: the 1-minute load average is sampled through each study and printed with it.

import { availableParallelism, loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { pipelineEvaluatorFactory } from '../src/pipeline/factory.js';
import type { Config } from '../src/pipeline/types.js';
import { configKey } from '../src/search/index.js';
import { DEFAULT_MAX_REPEATS, DEFAULT_RACE, describeRepeats, type RepeatPolicy } from '../src/study/policy.js';
import { openSession, type StudySession } from '../src/study/session.js';
import { bootstrapMedianInterval, median, wilcoxonSignedRank } from '../src/study/stats.js';
import { count, formatTable } from '../src/util/format.js';
import { ensureClips, ensureModel } from './bench/assets.js';

const started = Date.now();
const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
const say = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

const args = yargs(hideBin(process.argv))
  .usage('npm run bench:racing -- [options]')
  .option('trials', { type: 'number', default: 40, describe: 'sampled trials per study' })
  .option('space', { type: 'string', default: 'search-spaces/sn44.yaml' })
  .option('seed', { type: 'number', default: 1 })
  .option('frames', { type: 'number', default: 12, describe: 'frames per lab clip (25 fps); small, so that three 40-trial studies take minutes on 2 cores' })
  .option('size', { type: 'string', default: '320x180', describe: 'clip size WIDTHxHEIGHT' })
  .option('clips', { type: 'number', default: 2 })
  .option('profile', { type: 'string', default: 'lan', describe: "the lab server's link profile" })
  .option('accuracy-floor', { type: 'number', default: 0.85, describe: 'on 12-frame 320x180 clips a 40-trial study of sn44.yaml found no config that keeps 0.98 of the reference answer' })
  .option('model', { type: 'string', default: 'models/lab-detector.onnx' })
  .option('rounds', { type: 'number', default: 6, describe: 'head-to-head rounds (each visits every video)' })
  .option('out', { type: 'string', default: 'results/bench' })
  .strict()
  .parseSync();

interface Variant {
  name: string;
  racing: boolean;
  repeats: RepeatPolicy;
}

const VARIANTS: Variant[] = [
  { name: 'defaults', racing: true, repeats: { kind: 'auto', maxRepeats: DEFAULT_MAX_REPEATS } },
  { name: 'racing off', racing: false, repeats: { kind: 'auto', maxRepeats: DEFAULT_MAX_REPEATS } },
  { name: 'racing off, 3 repeats', racing: false, repeats: { kind: 'fixed', repeats: 3 } },
];

interface StudyFigures {
  name: string;
  racing: boolean;
  repeats: string;
  seconds: number;
  load: { mean: number; max: number };
  challenges: { search: number; control: number; confirm: number; total: number };
  saved: number;
  dropped: number;
  winner: { number: number; config: Config; median: number | null; phase: string } | null;
}

async function study(variant: Variant, db: string, clipsDir: string, clips: string[]): Promise<{ figures: StudyFigures; session: StudySession }> {
  const { name, racing } = variant;
  const session = await openSession(
    {
      space: args.space,
      study: name.replace(/[^a-z0-9]+/g, '-'),
      db,
      sampler: 'tpe',
      seed: args.seed,
      trials: args.trials,
      timeLimitMs: null,
      repeats: variant.repeats,
      racing: { ...DEFAULT_RACE, enabled: racing },
      control: undefined,
      warmup: 0,
      objective: { kind: 'fastest-safe', accuracyFloor: args['accuracy-floor'], tMin: 2 },
      confirmTop: 3,
      confirmRepeats: 5,
      device: 'cpu',
      source: { kind: 'samples', dir: clipsDir, profile: args.profile, names: clips },
      ca: undefined,
    },
    pipelineEvaluatorFactory({ model: args.model, device: 'cpu' }),
    { say: (l) => say(`  ${l}`), warn: (l) => say(`  ${l}`), tty: false },
  );
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(loadavg()[0]!), 5000);
  const t0 = Date.now();
  try {
    const result = await session.run({
      events: {
        trialEnd: ({ trial, verdict }) => say(`  ${name}: trial ${trial.number} ${trial.state} (${verdict.kind}, ${count(verdict.challenges, 'challenge')})`),
        drift: ({ line }) => say(`  ${name}: ${line}`),
        raceStart: ({ trials }) => say(`  ${name}: confirmation race of trials ${trials.map((t) => t.number).join(', ')}`),
      },
    });
    const a = result.analysis;
    const w = a.winner;
    return {
      session,
      figures: {
        name,
        racing,
        repeats: describeRepeats(variant.repeats),
        seconds: (Date.now() - t0) / 1000,
        load: { mean: median(samples) ?? loadavg()[0]!, max: Math.max(loadavg()[0]!, ...samples) },
        challenges: { search: a.challenges.search, control: a.challenges.control, confirm: a.challenges.confirm, total: a.challenges.total },
        saved: a.saved,
        dropped: a.ranking.filter((r) => r.state === 'PRUNED').length,
        winner: w && { number: w.number, config: w.params, median: w.median, phase: w.phase },
      },
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Both winners measured in turn on every video, `rounds` times, the order alternating per round. */
async function headToHead(session: StudySession, a: Config, b: Config): Promise<{ ratio: number | null; low: number | null; high: number | null; p: number | null; pairs: number }> {
  const logRatios: number[] = [];
  for (let round = 0; round < args.rounds; round++) {
    for (const video of session.videos) {
      const order = round % 2 === 0 ? [a, b] : [b, a];
      const times = new Map<Config, number | null>();
      for (const config of order) {
        const r = await session.evaluator.evaluate(config, video);
        times.set(config, r.error ? null : r.timeline.total);
      }
      const ta = times.get(a);
      const tb = times.get(b);
      if (ta && tb) logRatios.push(Math.log(ta / tb));
    }
    say(`  head to head: round ${round + 1}/${args.rounds}`);
  }
  if (logRatios.length === 0) return { ratio: null, low: null, high: null, p: null, pairs: 0 };
  const m = median(logRatios)!;
  const ci = bootstrapMedianInterval(logRatios);
  const test = wilcoxonSignedRank(logRatios, 'two-sided');
  return { ratio: Math.exp(m), low: ci ? Math.exp(ci.low) : null, high: ci ? Math.exp(ci.high) : null, p: test.p, pairs: logRatios.length };
}

const describeConfig = (c: Config, space: StudySession['space']) =>
  space.params
    .filter((p) => c[p.name] !== undefined)
    .map((p) => `${p.name}=${c[p.name]}`)
    .join(' ');

async function main(): Promise<void> {
  await mkdir(args.out, { recursive: true });
  const base = join(args.out, `racing-${stamp}`);
  const db = `${base}.db`;
  await ensureModel(args.model, say);
  const [width, height] = args.size.split('x').map(Number) as [number, number];
  const { dir, clips } = await ensureClips({ frames: args.frames, clips: args.clips, width, height, fps: 25 }, say);
  say(`host: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const runs: { figures: StudyFigures; session: StudySession }[] = [];
  const comparisons: { against: string; share: number | null; same: boolean; h2h: Awaited<ReturnType<typeof headToHead>> | null; tied: boolean }[] = [];
  try {
    for (const variant of VARIANTS) {
      say(`=== study ${variant.name} ===`);
      runs.push(await study(variant, db, dir, clips.map((c) => c.name)));
    }
    const [first, ...others] = runs;
    const wa = first!.figures.winner;
    for (const other of others) {
      const wb = other.figures.winner;
      const same = !!wa && !!wb && configKey(wa.config) === configKey(wb.config);
      let h2h: Awaited<ReturnType<typeof headToHead>> | null = null;
      if (wa && wb && !same) {
        say(`=== head to head: the defaults' winner (trial ${wa.number}) against ${other.figures.name}'s (trial ${wb.number}) ===`);
        h2h = await headToHead(other.session, wa.config, wb.config);
      }
      const tied = !!h2h && h2h.ratio !== null && ((h2h.p !== null && h2h.p >= 0.05) || Math.abs(h2h.ratio - 1) <= 0.05);
      const total = other.figures.challenges.total;
      comparisons.push({ against: other.figures.name, share: total > 0 ? first!.figures.challenges.total / total : null, same, h2h, tied });
    }
  } finally {
    for (const r of runs) await r.session.close();
  }
  const results = runs.map((r) => r.figures);
  const space = runs[0]!.session.space;
  const table = formatTable(results, [
    { header: 'study', value: (r) => r.name },
    { header: 'repeats', value: (r) => r.repeats },
    { header: 'load avg (mean/max)', value: (r) => `${r.load.mean.toFixed(1)}/${r.load.max.toFixed(1)}`, align: 'right' },
    { header: 'minutes', value: (r) => (r.seconds / 60).toFixed(1), align: 'right' },
    { header: 'challenges', value: (r) => String(r.challenges.total), align: 'right' },
    { header: 'search/control/confirm', value: (r) => `${r.challenges.search}/${r.challenges.control}/${r.challenges.confirm}`, align: 'right' },
    { header: 'dropped', value: (r) => String(r.dropped), align: 'right' },
    { header: 'winner', value: (r) => (r.winner ? `trial ${r.winner.number}: ${describeConfig(r.winner.config, space)}` : '-') },
    { header: 'winner median (phase)', value: (r) => (r.winner?.median != null ? `${r.winner.median.toFixed(3)} s (${r.winner.phase})` : '-'), align: 'right' },
  ]);
  const lines = [
    `Racing bench (${args.trials} sampled trials of ${args.space}, seed ${args.seed}, TPE, the control, confirmation race of 3 x 5 rounds;`,
    `${args.clips} lab clips of ${args.frames} frames ${args.size}, link ${args.profile}, CPU; ${availableParallelism()} cores):`,
    '',
    table,
    '',
    ...comparisons.flatMap((c) => [
      `Challenges of the defaults / ${c.against}: ${c.share === null ? '-' : `${(c.share * 100).toFixed(0)}%`}${c.against.endsWith('3 repeats') ? ' (target <= 40%)' : ''}`,
      c.same
        ? '  winners: the same config.'
        : c.h2h
          ? `  winners differ; head to head (${c.h2h.pairs} pairs, interleaved): the defaults' winner / ${c.against}'s = ${c.h2h.ratio?.toFixed(3)} [${c.h2h.low?.toFixed(3)}, ${c.h2h.high?.toFixed(3)}], ` +
            `Wilcoxon p = ${c.h2h.p?.toFixed(3)}: ${c.tied ? 'tied' : c.h2h.ratio! < 1 ? "the defaults' winner is faster" : `${c.against}'s winner is faster`}`
          : '  winners: at least one study found no feasible config.',
    ]),
  ];
  const text = lines.join('\n');
  say('');
  process.stdout.write(`${text}\n`);
  await writeFile(`${base}.md`, `# Racing benchmark ${stamp}\n\n\`\`\`\n${text}\n\`\`\`\n`);
  await writeFile(`${base}.json`, `${JSON.stringify({ args, results, comparisons }, null, 2)}\n`);
  say(`saved ${base}.md, ${base}.json and the studies in ${db}. Total ${((Date.now() - started) / 60000).toFixed(1)} min.`);
}

await main();
