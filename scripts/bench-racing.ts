// `npm run bench:racing`: what racing saves on a real study. Two studies of the same space on the lab
// (the real pipeline on lab clips), same sampler and seed, `autotune run`'s defaults (adaptive
// repeats, the control, a confirmation race), one with racing and one without; then the two winners
// measured head to head, interleaved on the same videos, to say whether they are the same config or
// tied (paired Wilcoxon signed-rank on the log time ratios, two-sided, alpha 0.05; or within 5%).
// Prints a table and saves results/bench/racing-<timestamp>.{md,json} with the studies' database.
//
//   npm run bench:racing -- [--trials 40] [--space search-spaces/sn44.yaml] [--frames 25] [--size 480x270]
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
import { DEFAULT_RACE } from '../src/study/policy.js';
import { openSession, type StudySession } from '../src/study/session.js';
import { bootstrapMedianInterval, median, wilcoxonSignedRank } from '../src/study/stats.js';
import { formatTable } from '../src/util/format.js';
import { ensureClips, ensureModel } from './bench/assets.js';

const started = Date.now();
const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
const say = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

const args = yargs(hideBin(process.argv))
  .usage('npm run bench:racing -- [options]')
  .option('trials', { type: 'number', default: 40, describe: 'sampled trials per study' })
  .option('space', { type: 'string', default: 'search-spaces/sn44.yaml' })
  .option('seed', { type: 'number', default: 1 })
  .option('frames', { type: 'number', default: 25, describe: 'frames per lab clip (25 fps)' })
  .option('size', { type: 'string', default: '480x270', describe: 'clip size WIDTHxHEIGHT' })
  .option('clips', { type: 'number', default: 2 })
  .option('profile', { type: 'string', default: 'lan', describe: "the lab server's link profile" })
  .option('accuracy-floor', { type: 'number', default: 0.98 })
  .option('model', { type: 'string', default: 'models/lab-detector.onnx' })
  .option('rounds', { type: 'number', default: 6, describe: 'head-to-head rounds (each visits every video)' })
  .option('out', { type: 'string', default: 'results/bench' })
  .strict()
  .parseSync();

interface StudyFigures {
  racing: boolean;
  seconds: number;
  load: { mean: number; max: number };
  challenges: { search: number; control: number; confirm: number; total: number };
  saved: number;
  dropped: number;
  winner: { number: number; config: Config; median: number | null; phase: string } | null;
}

async function study(racing: boolean, db: string, clipsDir: string, clips: string[]): Promise<{ figures: StudyFigures; session: StudySession }> {
  const name = racing ? 'racing-on' : 'racing-off';
  const session = await openSession(
    {
      space: args.space,
      study: name,
      db,
      sampler: 'tpe',
      seed: args.seed,
      trials: args.trials,
      timeLimitMs: null,
      repeats: { kind: 'auto', maxRepeats: 5 },
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
        trialEnd: ({ trial, verdict }) => say(`  ${name}: trial ${trial.number} ${trial.state} (${verdict.kind}, ${verdict.challenges} challenges)`),
        drift: ({ line }) => say(`  ${name}: ${line}`),
        raceStart: ({ trials }) => say(`  ${name}: confirmation race of trials ${trials.map((t) => t.number).join(', ')}`),
      },
    });
    const a = result.analysis;
    const w = a.winner;
    return {
      session,
      figures: {
        racing,
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
  say('=== study racing-on ===');
  const on = await study(true, db, dir, clips.map((c) => c.name));
  await on.session.close();
  say('=== study racing-off ===');
  const off = await study(false, db, dir, clips.map((c) => c.name));
  const results = [on.figures, off.figures];
  const wa = on.figures.winner;
  const wb = off.figures.winner;
  const same = !!wa && !!wb && configKey(wa.config) === configKey(wb.config);
  let h2h: Awaited<ReturnType<typeof headToHead>> | null = null;
  try {
    if (wa && wb && !same) {
      say(`=== head to head: racing-on's winner (trial ${wa.number}) against racing-off's (trial ${wb.number}) ===`);
      h2h = await headToHead(off.session, wa.config, wb.config);
    }
  } finally {
    await off.session.close();
  }
  const space = off.session.space;
  const table = formatTable(results, [
    { header: 'study', value: (r) => (r.racing ? 'racing on' : 'racing off') },
    { header: 'load avg (mean/max)', value: (r) => `${r.load.mean.toFixed(1)}/${r.load.max.toFixed(1)}`, align: 'right' },
    { header: 'minutes', value: (r) => (r.seconds / 60).toFixed(1), align: 'right' },
    { header: 'challenges', value: (r) => String(r.challenges.total), align: 'right' },
    { header: 'search/control/confirm', value: (r) => `${r.challenges.search}/${r.challenges.control}/${r.challenges.confirm}`, align: 'right' },
    { header: 'dropped', value: (r) => String(r.dropped), align: 'right' },
    { header: 'winner', value: (r) => (r.winner ? `trial ${r.winner.number}: ${describeConfig(r.winner.config, space)}` : '-') },
    { header: 'winner median (phase)', value: (r) => (r.winner?.median != null ? `${r.winner.median.toFixed(3)} s (${r.winner.phase})` : '-'), align: 'right' },
  ]);
  const share = off.figures.challenges.total > 0 ? on.figures.challenges.total / off.figures.challenges.total : null;
  const tied = h2h && h2h.ratio !== null && ((h2h.p !== null && h2h.p >= 0.05) || Math.abs(h2h.ratio - 1) <= 0.05);
  const lines = [
    `Racing bench (${args.trials} sampled trials of ${args.space}, seed ${args.seed}, TPE, adaptive repeats up to 5, the control, confirmation race of 3 x 5 rounds;`,
    `${args.clips} lab clips of ${args.frames} frames ${args.size}, link ${args.profile}, CPU; ${availableParallelism()} cores):`,
    '',
    table,
    '',
    `Challenges with racing / without: ${share === null ? '-' : `${(share * 100).toFixed(0)}%`} (target <= 40%)`,
    same
      ? 'Winners: the same config.'
      : h2h
        ? `Winners differ; head to head (${h2h.pairs} pairs, interleaved): racing-on's winner / racing-off's = ${h2h.ratio?.toFixed(3)} [${h2h.low?.toFixed(3)}, ${h2h.high?.toFixed(3)}], ` +
          `Wilcoxon p = ${h2h.p?.toFixed(3)}: ${tied ? 'tied' : h2h.ratio! < 1 ? "racing-on's winner is faster" : "racing-off's winner is faster"}`
        : 'Winners: at least one study found no feasible config.',
  ];
  const text = lines.join('\n');
  say('');
  process.stdout.write(`${text}\n`);
  await writeFile(`${base}.md`, `# Racing benchmark ${stamp}\n\n\`\`\`\n${text}\n\`\`\`\n`);
  await writeFile(`${base}.json`, `${JSON.stringify({ args, results, share, same, headToHead: h2h, tied }, null, 2)}\n`);
  say(`saved ${base}.md, ${base}.json and the studies in ${db}. Total ${((Date.now() - started) / 60000).toFixed(1)} min.`);
}

await main();
