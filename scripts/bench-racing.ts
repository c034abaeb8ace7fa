// `npm run bench:racing`: what racing saves on a real study, and what it costs in the answer. Studies
// of the same space on the lab (the real pipeline on lab clips), same sampler and seed, the control and
// a confirmation race: `autotune run`'s defaults (racing, adaptive repeats that go to contenders only);
// `--racing off` (adaptive repeats kept); and `--racing off --repeats 3`, every trial measured alike,
// as studies ran before racing. Then every study's winner and a fixed reference config (the space's
// first baseline) in one side-by-side run, interleaved on the same videos: the defaults' winner against
// each other winner says whether they are the same config or tied (paired Wilcoxon signed-rank on the
// log time ratios, two-sided, alpha 0.05; or within 5%), and each winner's time over the reference's
// compares the variants across seeds (--seeds N: seeds --seed .. --seed+N-1), where one seed's winners
// differ as much by the search's luck as by racing.
// Prints tables and saves results/bench/racing-<timestamp>.{md,json} with the studies' database.
//
// `--variants racing-off-3,racing-off-3-again,defaults` also measures the search's own repeatability:
// the same 3-repeat study twice on each seed, so racing's "same winner or tied" has a floor to stand on.
//
//   npm run bench:racing -- [--trials 40] [--seed 1] [--seeds 1] [--variants defaults,racing-off,racing-off-3] [--sampler tpe|random]
//                           [--space search-spaces/sn44.yaml] [--frames 12] [--size 320x180] [--accuracy-floor 0.85]
//
// The machine is shared: the 1-minute load average is sampled through each study and printed with it.

import { availableParallelism, loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { PipelineEvaluator } from '../src/pipeline/evaluator.js';
import { pipelineEvaluatorFactory } from '../src/pipeline/factory.js';
import type { Config } from '../src/pipeline/types.js';
import { configKey } from '../src/search/index.js';
import type { ObjectiveSpec } from '../src/store/types.js';
import { DEFAULT_MAX_REPEATS, DEFAULT_RACE, describeRepeats, type RepeatPolicy } from '../src/study/policy.js';
import { openSession, type StudySession } from '../src/study/session.js';
import { median } from '../src/study/stats.js';
import { count, formatTable } from '../src/util/format.js';
import { ensureClips, ensureModel } from './bench/assets.js';
import { acrossSeeds, pairedRatio, verdictOf, type PairedRatio, type SeedComparison, type Verdict } from './bench/racing-summary.js';
import { runSideBySide, type Contender } from './bench/side-by-side.js';

const started = Date.now();
const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
const say = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

interface Variant {
  id: string;
  name: string;
  racing: boolean;
  repeats: RepeatPolicy;
}

const VARIANTS: Variant[] = [
  { id: 'defaults', name: 'defaults', racing: true, repeats: { kind: 'auto', maxRepeats: DEFAULT_MAX_REPEATS } },
  { id: 'racing-off', name: 'racing off', racing: false, repeats: { kind: 'auto', maxRepeats: DEFAULT_MAX_REPEATS } },
  { id: 'racing-off-3', name: 'racing off, 3 repeats', racing: false, repeats: { kind: 'fixed', repeats: 3 } },
  // The same study once more (same seed and settings): how often the search agrees with itself, the
  // floor under any "same winner or tied" figure. Not in the default set.
  { id: 'racing-off-3-again', name: 'racing off, 3 repeats, again', racing: false, repeats: { kind: 'fixed', repeats: 3 } },
];
const DEFAULT_VARIANTS = ['defaults', 'racing-off', 'racing-off-3'];
const SHARE_LIMIT = 0.4;
/** The issue's share target is the defaults' challenges over the 3-repeat study's, and only that pair. */
const shareTargetApplies = (first: string, against: string) =>
  first === VARIANTS.find((v) => v.id === 'defaults')!.name && against === VARIANTS.find((v) => v.id === 'racing-off-3')!.name;

const args = yargs(hideBin(process.argv))
  .usage('npm run bench:racing -- [options]')
  .option('trials', { type: 'number', default: 40, describe: 'sampled trials per study' })
  .option('space', { type: 'string', default: 'search-spaces/sn44.yaml' })
  .option('seed', { type: 'number', default: 1, describe: 'the first seed' })
  .option('sampler', { choices: ['tpe', 'random'] as const, default: 'tpe' as const, describe: 'random: every variant measures the same configs, so the winners differ by racing alone' })
  .option('seeds', { type: 'number', default: 1, describe: 'seeds: --seed .. --seed+N-1, every variant studied on each' })
  .option('variants', { type: 'string', default: DEFAULT_VARIANTS.join(','), describe: `the studies, the first compared with the others: ${VARIANTS.map((v) => v.id).join(', ')}` })
  .option('reference', { type: 'string', describe: "a baseline of the space measured beside the winners (default: the space's first)" })
  .option('frames', { type: 'number', default: 12, describe: 'frames per lab clip (25 fps); small, so that three 40-trial studies take minutes on 2 cores' })
  .option('size', { type: 'string', default: '320x180', describe: 'clip size WIDTHxHEIGHT' })
  .option('clips', { type: 'number', default: 2 })
  .option('profile', { type: 'string', default: 'lan', describe: "the lab server's link profile" })
  .option('accuracy-floor', { type: 'number', default: 0.85, describe: 'on 12-frame 320x180 clips a 40-trial study of sn44.yaml found no config that keeps 0.98 of the reference answer' })
  .option('model', { type: 'string', default: 'models/lab-detector.onnx' })
  .option('confirm-top', { type: 'number', default: 5, describe: "sampled trials in each study's confirmation race (autotune run's default 5)" })
  .option('rounds', { type: 'number', default: 6, describe: 'rounds of the side-by-side run (each visits every video)' })
  .option('out', { type: 'string', default: 'results/bench' })
  .strict()
  .check((a) => {
    if (!Number.isInteger(a.seeds) || a.seeds < 1) throw new Error(`--seeds ${a.seeds}: give a whole number of seeds, 1 or more`);
    const ids = a.variants.split(',').map((v) => v.trim());
    for (const id of ids) if (!VARIANTS.some((v) => v.id === id)) throw new Error(`--variants: unknown variant ${id}; use ${VARIANTS.map((v) => v.id).join(', ')}`);
    if (ids.length < 2 || new Set(ids).size !== ids.length) throw new Error('--variants: name two or more different variants');
    return true;
  })
  .parseSync();

const variants = args.variants.split(',').map((id) => VARIANTS.find((v) => v.id === id.trim())!);
const seeds = Array.from({ length: args.seeds }, (_, i) => args.seed + i);
const objective: ObjectiveSpec = { kind: 'fastest-safe', accuracyFloor: args['accuracy-floor'], tMin: 2 };

interface StudyFigures {
  seed: number;
  variant: string;
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

async function study(variant: Variant, seed: number, db: string, clipsDir: string, clips: string[]): Promise<{ figures: StudyFigures; session: StudySession<PipelineEvaluator> }> {
  const { name, racing } = variant;
  const session = await openSession(
    {
      space: args.space,
      study: `${variant.id}-s${seed}`,
      db,
      sampler: args.sampler,
      seed,
      trials: args.trials,
      timeLimitMs: null,
      repeats: variant.repeats,
      racing: { ...DEFAULT_RACE, enabled: racing },
      control: undefined,
      warmup: 0,
      objective,
      confirmTop: args['confirm-top'],
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
        seed,
        variant: variant.id,
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
  } catch (err) {
    await session.close();
    throw err;
  } finally {
    clearInterval(sampler);
  }
}

const describeConfig = (c: Config, space: StudySession['space']) =>
  space.params
    .filter((p) => c[p.name] !== undefined)
    .map((p) => `${p.name}=${c[p.name]}`)
    .join(' ');

/** The side-by-side run's contenders: the reference, then each distinct winner once (a winner of several studies, or the reference itself, under its first label). */
function contendersOf(reference: { name: string; config: Config }, results: readonly StudyFigures[]): { contenders: Contender[]; labelOf: Map<StudyFigures, string> } {
  const contenders: Contender[] = [{ label: reference.name, aliases: [], kind: 'baseline', config: reference.config }];
  const byKey = new Map<string, Contender>([[configKey(reference.config), contenders[0]!]]);
  const labelOf = new Map<StudyFigures, string>();
  for (const r of results) {
    if (!r.winner) continue;
    const label = `s${r.seed} ${r.variant} #${r.winner.number}`;
    const key = configKey(r.winner.config);
    const known = byKey.get(key);
    if (known) {
      known.aliases.push(label);
      labelOf.set(r, known.label);
    } else {
      const c: Contender = { label, aliases: [], kind: 'winner', config: r.winner.config };
      contenders.push(c);
      byKey.set(key, c);
      labelOf.set(r, label);
    }
  }
  return { contenders, labelOf };
}

interface Comparison {
  seed: number;
  against: string;
  share: number | null;
  same: boolean;
  h2h: PairedRatio | null;
  verdict: Verdict;
  firstToReference: number | null;
  otherToReference: number | null;
}

/** A study's name in the possessive: "defaults'", "racing off, 3 repeats, again's". */
const of = (name: string) => (name.endsWith('s') ? `${name}'` : `${name}'s`);

const VERDICT_WORDS: Record<Verdict, (first: string, against: string) => string> = {
  same: () => 'the same config',
  tied: () => 'tied',
  faster: (first) => `${of(first)} winner is faster`,
  slower: (_, against) => `${of(against)} winner is faster`,
  none: () => 'no test (a study found no feasible config, or too few pairs)',
};

async function main(): Promise<void> {
  await mkdir(args.out, { recursive: true });
  const base = join(args.out, `racing-${stamp}`);
  const db = `${base}.db`;
  await ensureModel(args.model, say);
  const [width, height] = args.size.split('x').map(Number) as [number, number];
  const { dir, clips } = await ensureClips({ frames: args.frames, clips: args.clips, width, height, fps: 25 }, say);
  say(`host: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: StudyFigures[] = [];
  // One session is kept open after its study: its evaluator and lab server run the side-by-side run.
  let last: StudySession<PipelineEvaluator> | null = null;
  let records: Awaited<ReturnType<typeof runSideBySide>>['records'] = [];
  let labels = new Map<StudyFigures, string>();
  let referenceName = '';
  let space: StudySession['space'] | null = null;
  try {
    for (const seed of seeds) {
      for (const variant of variants) {
        say(`=== seed ${seed}: study ${variant.name} ===`);
        const run = await study(variant, seed, db, dir, clips.map((c) => c.name));
        await last?.close();
        last = run.session;
        results.push(run.figures);
      }
    }
    space = last!.space;
    const reference = args.reference ? space.baselines.find((b) => b.name === args.reference) : space.baselines[0];
    if (!reference) throw new Error(args.reference ? `--reference ${args.reference}: the space has no such baseline` : 'the space has no baseline to measure the winners against');
    referenceName = reference.name;
    const { contenders, labelOf } = contendersOf(reference, results);
    labels = labelOf;
    say(`=== side by side: ${contenders.length} configs (${reference.name} and the winners), ${args.rounds} rounds ===`);
    records = (await runSideBySide({ evaluator: last!.evaluator, contenders, videos: last!.videos, repeats: args.rounds, objective, say })).records;
  } finally {
    await last?.close();
  }
  const toReference = (r: StudyFigures) => {
    const label = labels.get(r);
    if (!label) return null;
    return label === referenceName ? 1 : pairedRatio(records, label, referenceName).ratio;
  };
  const comparisons: Comparison[] = [];
  for (const seed of seeds) {
    const [first, ...others] = results.filter((r) => r.seed === seed);
    for (const other of others) {
      const la = labels.get(first!);
      const lb = labels.get(other);
      const same = !!la && la === lb;
      const h2h = la && lb && !same ? pairedRatio(records, la, lb) : null;
      comparisons.push({
        seed,
        against: other.name,
        share: other.challenges.total > 0 ? first!.challenges.total / other.challenges.total : null,
        same,
        h2h,
        verdict: verdictOf(same, h2h),
        firstToReference: toReference(first!),
        otherToReference: toReference(other),
      });
    }
  }
  const text = report(results, comparisons, referenceName, (c) => describeConfig(c, space!));
  say('');
  process.stdout.write(`${text}\n`);
  await writeFile(`${base}.md`, `# Racing benchmark ${stamp}\n\n\`\`\`\n${text}\n\`\`\`\n`);
  await writeFile(`${base}.json`, `${JSON.stringify({ args, results, comparisons, acrossSeeds: summaries(comparisons), sideBySide: records.map(({ contender, video, repeat, order, error, timeline }) => ({ contender, video, repeat, order, total: timeline.total, error: error?.reason ?? null })) }, null, 2)}\n`);
  say(`saved ${base}.md, ${base}.json and the studies in ${db}. Total ${((Date.now() - started) / 60000).toFixed(1)} min.`);
}

function summaries(comparisons: readonly Comparison[]): { against: string; figures: ReturnType<typeof acrossSeeds> }[] {
  return [...new Set(comparisons.map((c) => c.against))].map((against) => {
    const rows: SeedComparison[] = comparisons
      .filter((c) => c.against === against)
      .map((c) => ({ seed: c.seed, share: c.share, aToReference: c.firstToReference, bToReference: c.otherToReference, verdict: c.verdict }));
    return { against, figures: acrossSeeds(rows, SHARE_LIMIT) };
  });
}

const x = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '-' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(0)}%`);

function report(results: readonly StudyFigures[], comparisons: readonly Comparison[], referenceName: string, describe: (c: Config) => string): string {
  const first = variants[0]!.name;
  const studies = formatTable(results, [
    ...(seeds.length > 1 ? [{ header: 'seed', value: (r: StudyFigures) => String(r.seed), align: 'right' as const }] : []),
    { header: 'study', value: (r) => r.name },
    { header: 'repeats', value: (r) => r.repeats },
    { header: 'load avg (mean/max)', value: (r) => `${r.load.mean.toFixed(1)}/${r.load.max.toFixed(1)}`, align: 'right' },
    { header: 'minutes', value: (r) => (r.seconds / 60).toFixed(1), align: 'right' },
    { header: 'challenges', value: (r) => String(r.challenges.total), align: 'right' },
    { header: 'search/control/confirm', value: (r) => `${r.challenges.search}/${r.challenges.control}/${r.challenges.confirm}`, align: 'right' },
    { header: 'dropped', value: (r) => String(r.dropped), align: 'right' },
    { header: 'winner median (phase)', value: (r) => (r.winner?.median != null ? `${r.winner.median.toFixed(3)} s (${r.winner.phase})` : '-'), align: 'right' },
    { header: 'winner', value: (r) => (r.winner ? `trial ${r.winner.number}: ${describe(r.winner.config)}` : '-') },
  ]);
  const lines = [
    `Racing bench (${args.trials} sampled trials of ${args.space}, seed${seeds.length > 1 ? `s ${seeds[0]}-${seeds.at(-1)}` : ` ${seeds[0]}`}, ${args.sampler === 'tpe' ? 'TPE' : 'random search'}, the control, confirmation race of ${args['confirm-top']} x 5 rounds;`,
    `${args.clips} lab clips of ${args.frames} frames ${args.size}, link ${args.profile}, CPU; ${availableParallelism()} cores):`,
    '',
    studies,
    '',
    `Winners side by side with ${referenceName} (${args.rounds} rounds x ${args.clips} videos, interleaved, the order rotating; paired per video and round):`,
  ];
  for (const c of comparisons) {
    lines.push(
      `${seeds.length > 1 ? `seed ${c.seed}: ` : ''}challenges of the ${first} / ${c.against}: ${pct(c.share)}${shareTargetApplies(first, c.against) ? ` (target <= ${pct(SHARE_LIMIT)})` : ''}`,
      `  winners / ${referenceName}: ${first} ${x(c.firstToReference)}, ${c.against} ${x(c.otherToReference)}; ` +
        (c.h2h && c.h2h.ratio !== null
          ? `${of(first)} winner / ${of(c.against)} = ${x(c.h2h.ratio)} [${x(c.h2h.low)}, ${x(c.h2h.high)}] over ${c.h2h.pairs} pairs, Wilcoxon p = ${x(c.h2h.p)}: ${VERDICT_WORDS[c.verdict](first, c.against)}`
          : VERDICT_WORDS[c.verdict](first, c.against)),
    );
  }
  if (seeds.length > 1) {
    for (const { against, figures: f } of summaries(comparisons)) {
      const v = f.verdicts;
      lines.push(
        '',
        `Over ${f.seeds} seeds, the ${first} against ${against}:`,
        `  challenges of the ${first} / ${against}: median ${pct(f.share.median)}, most ${pct(f.share.max)}` +
          (shareTargetApplies(first, against) ? `; at most ${pct(f.share.limit)} on ${f.share.atMost} of ${f.seeds} seeds` : ''),
        `  winners: the same config ${v.same}, tied ${v.tied}, ${of(first)} faster ${v.faster}, ${of(against)} faster ${v.slower}${v.none ? `, no test ${v.none}` : ''}`,
        `  winner / ${referenceName} (lower is faster), median and 80th percentile over seeds: ${first} ${x(f.aToReference.median)} / ${x(f.aToReference.p80)}, ${against} ${x(f.bToReference.median)} / ${x(f.bToReference.p80)}`,
        `  ${of(first)} winner / ${of(against)}, seed by seed through ${referenceName}: ${x(f.aOverB.ratio)} [${x(f.aOverB.low)}, ${x(f.aOverB.high)}] over ${f.aOverB.pairs} seeds, Wilcoxon p = ${x(f.aOverB.p)}` +
          (f.aOverB.p === null ? '' : f.aOverB.p < 0.05 ? (f.aOverB.ratio! > 1 ? `: the ${against} study finds faster winners` : `: the ${first} study finds faster winners`) : ': no difference the seeds can show'),
      );
    }
  }
  return lines.join('\n');
}

await main();
