// autotune run: a study against sample videos, on the built-in pipeline, a running miner or a command.
// Options are normalized once here into the session's settings and the evaluator's factory; the
// session is src/study/session.ts, the search loop src/study/runner.ts.

import type { Argv } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { AutotuneError, EXIT_NO_USABLE_CONFIG, exitCodeOf } from '../../errors.js';
import { externalEvaluatorFactory } from '../../miner/factory.js';
import { DEFAULT_MAX_DETECTORS, pipelineEvaluatorFactory } from '../../pipeline/factory.js';
import { parseClassMap } from '../../pipeline/infer/class-map.js';
import { LAYOUT_KINDS, type LayoutKind } from '../../pipeline/infer/layout.js';
import { SAMPLER_NAMES, type SamplerName } from '../../search/index.js';
import { DEFAULT_DB_PATH, redact } from '../../store/index.js';
import { describeMeasuredBy } from '../../study/measured-by.js';
import { describeWinner, studyNotes } from '../../study/notes.js';
import { DEFAULT_MAX_REPEATS, DEFAULT_RACE, type RacePolicy } from '../../study/policy.js';
import { checkStudyName } from '../../study/select.js';
import { DEFAULT_HEARTBEAT_TIMEOUT_S } from '../../study/runner.js';
import { runSession, type SessionSettings } from '../../study/session.js';
import { checkUrl, parseDuration, readUrlsFile, samplesIn } from '../../study/sources.js';
import {
  accuracyFloorOption,
  caOption,
  checkAccuracyFloor,
  checkModel,
  checkTMin,
  modelOption,
  parseRepeats,
  readCa,
  storageFlag,
  storageLocation,
  storageOptions,
  tMinOption,
  type StorageArgs,
} from '../options.js';
import type { EvaluatorFactory } from '../../pipeline/types.js';
import { resolveLinkProfile } from '../../lab/server/profiles.js';
import { replayEvaluatorFactory } from '../../replay/factory.js';
import { DEFAULT_WARM_START_TOP } from '../../study/warm-start.js';
import { normalizeEvaluatorArgs, normalizeReplayArgs, withRunEvaluatorOptions, type EvaluatorArgs, type ReplayArgs } from '../evaluator-options.js';
import { formatRanking } from './trials.js';
import { givenValue, terminalWidth } from '../output.js';

interface RunArgs extends EvaluatorArgs, ReplayArgs, StorageArgs {
  url?: string[];
  urlsFile?: string;
  samples?: string;
  profile?: string;
  ca?: string;
  space: string;
  model: string;
  study?: string;
  sampler: string;
  seed: number;
  trials?: number;
  workerTrials?: number;
  heartbeatTimeout: number;
  timeLimit?: string;
  repeats: string;
  maxRepeats: number;
  racing: string;
  raceMinBlocks: number;
  control?: string;
  warmup: number;
  warmStartFrom?: string;
  warmStartTop: number;
  objective: string;
  accuracyFloor: number;
  tMin: number;
  confirmTop: number;
  confirmRepeats: number;
  device: string;
  classMap?: string;
  modelLayout?: string;
  modelCheck: boolean;
  maxDetectors: number | undefined;
  requireReproducible: boolean;
}


const positiveInt = (name: string, v: number | undefined, min = 1) => {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min) {
    throw new AutotuneError('E_USAGE', `--${name} must be an integer >= ${min}, got ${givenValue(v)}`, { hint: 'see autotune run --help' });
  }
  return v;
};

function heartbeatTimeout(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 1) {
    throw new AutotuneError('E_USAGE', `--heartbeat-timeout must be a number of seconds >= 1, got ${givenValue(seconds)}`, {
      hint: 'longer than a stall of the store or the host; the worker beats 4 times per timeout',
    });
  }
  return seconds;
}

function racePolicy(racing: string, minBlocks: number): RacePolicy {
  if (racing !== 'on' && racing !== 'off') {
    throw new AutotuneError('E_USAGE', `--racing must be on or off, got ${givenValue(racing)}`, { hint: 'racing drops trials significantly worse than the best' });
  }
  return { ...DEFAULT_RACE, enabled: racing === 'on', minBlocks: positiveInt('race-min-blocks', minBlocks)! };
}

export interface RunOptions {
  session: SessionSettings;
  /** The pipeline's, or a miner's or command's (--evaluator). */
  factory: EvaluatorFactory;
}

export function normalizeRunArgs(args: RunArgs): RunOptions {
  const sources = [args.url?.length ? 'url' : null, args.urlsFile ? 'urls-file' : null, args.samples ? 'samples' : null].filter(Boolean);
  const replaying = args.evaluator === 'replay';
  if (replaying && sources.length > 0) {
    throw new AutotuneError('E_USAGE', `--${sources.join(', --')} do${sources.length === 1 ? 'es' : ''} not apply to --evaluator replay`, {
      hint: "the videos are the replay table's video values; drop the option",
    });
  }
  if (!replaying && sources.length !== 1) {
    throw new AutotuneError('E_USAGE', sources.length ? `use only one of --${sources.join(', --')}` : 'no sample videos given', {
      hint: 'pass --url URL (repeatable), --urls-file FILE, or --samples DIR',
    });
  }
  if (args.profile && !args.samples) throw new AutotuneError('E_USAGE', '--profile needs --samples', { hint: 'it shapes the lab server that serves DIR' });
  // Checked here, before ffmpeg, the model and the store are touched.
  if (args.profile) resolveLinkProfile(args.profile);
  if (!SAMPLER_NAMES.includes(args.sampler as never)) {
    throw new AutotuneError('E_USAGE', `unknown --sampler ${args.sampler}`, { hint: `use one of ${SAMPLER_NAMES.join(', ')}` });
  }
  if (args.objective !== 'fastest-safe' && args.objective !== 'sn44') {
    throw new AutotuneError('E_USAGE', `unknown --objective ${args.objective}`, { hint: 'use fastest-safe or sn44' });
  }
  checkAccuracyFloor(args.accuracyFloor);
  checkTMin(args.tMin);
  if (!['auto', 'cpu', 'cuda'].includes(args.device)) {
    throw new AutotuneError('E_USAGE', `unknown --device ${args.device}`, { hint: 'use auto, cpu or cuda' });
  }
  const trials = positiveInt('trials', args.trials, 0) ?? null;
  const timeLimitMs = args.timeLimit === undefined ? null : parseDuration(args.timeLimit);
  const repeats = parseRepeats(args.repeats, positiveInt('max-repeats', args.maxRepeats)!);
  const confirmRepeats = positiveInt('confirm-repeats', args.confirmRepeats, 0)!;
  // Adaptive repeats give every contender at least two repeats.
  if (args.requireReproducible && ((repeats.kind === 'fixed' && repeats.repeats < 2) || confirmRepeats === 1)) {
    throw new AutotuneError('E_USAGE', '--require-reproducible compares repeated answers on a video: it needs --repeats >= 2 (and --confirm-repeats 0 or >= 2)', {
      hint: 'e.g. --repeats 2',
    });
  }
  const device = args.device as SessionSettings['device'];
  const classMap = args.classMap === undefined ? undefined : parseClassMap(args.classMap);
  const pipeline = {
    model: args.model,
    device,
    classMap,
    layout: args.modelLayout as LayoutKind | undefined,
    modelCheck: args.modelCheck,
    maxDetectors: positiveInt('max-detectors', args.maxDetectors),
  };
  const seed = positiveInt('seed', args.seed, 0)!;
  const replay = normalizeReplayArgs(args, { objective: args.objective, tMin: args.tMin, seed });
  const external = replay ? null : normalizeEvaluatorArgs(args, { objective: args.objective, tMin: args.tMin, pipeline });
  // The pipeline runs --model; a miner needs it only for the pipeline's references; a replay not at all.
  if (!replay && (!external || external.reference === 'pipeline')) checkModel(args.model);
  const session: SessionSettings = {
    space: args.space,
    study: checkStudyName(args.study),
    db: storageLocation(args),
    sampler: args.sampler as SamplerName,
    seed,
    // Without any budget, a study runs 20 sampled trials.
    trials: trials === null && timeLimitMs === null ? 20 : trials,
    workerTrials: positiveInt('worker-trials', args.workerTrials, 0) ?? null,
    heartbeatTimeoutS: heartbeatTimeout(args.heartbeatTimeout),
    timeLimitMs,
    repeats,
    racing: racePolicy(args.racing, args.raceMinBlocks),
    control: args.control === undefined ? undefined : args.control === 'none' ? null : args.control,
    warmup: positiveInt('warmup', args.warmup, 0)!,
    objective: {
      kind: args.objective,
      accuracyFloor: args.accuracyFloor,
      tMin: args.tMin,
      ...(args.requireReproducible ? { requireReproducible: true } : {}),
    },
    confirmTop: positiveInt('confirm-top', args.confirmTop, 0)!,
    confirmRepeats,
    device,
    source: replay
      ? { kind: 'names', names: replay.table.videos }
      : args.samples
        ? { kind: 'samples', dir: args.samples, profile: args.profile, names: samplesIn(args.samples).map((s) => s.name) }
        : { kind: 'urls', urls: args.urlsFile ? readUrlsFile(args.urlsFile) : args.url!.map((u) => checkUrl(u, '--url')) },
    ca: readCa(args.ca),
    warmStart: args.warmStartFrom === undefined ? null : { from: checkStudyName(args.warmStartFrom)!, top: positiveInt('warm-start-top', args.warmStartTop, 0)! },
  };
  const factory = replay ? replayEvaluatorFactory(replay) : external ? externalEvaluatorFactory(external) : pipelineEvaluatorFactory(pipeline);
  return { session, factory };
}

export const runCommand: CommandBody<RunArgs> = {
  builder: (y) =>
    withRunEvaluatorOptions(
      y
      .option('url', { type: 'string', array: true, describe: 'sample video URL (repeatable)' })
      .option('urls-file', { type: 'string', describe: 'file with one sample video URL per line' })
      .option('samples', { type: 'string', describe: 'serve the .mp4 files of DIR through the lab server in-process' })
      .option('profile', { type: 'string', describe: 'lab link profile for --samples (see autotune lab serve --help)' })
      .option('ca', caOption)
      .option('space', { type: 'string', default: 'search-spaces/sn44.yaml', describe: 'search space: a YAML file, or a built-in space by name (sn44, quick)' })
      .option('model', modelOption)
      .option('study', { type: 'string', describe: "study name (default: the space's name); an existing study resumes" })
      .options(storageOptions)
      .option('sampler', { type: 'string', default: 'tpe', choices: ['tpe', 'random', 'grid'], describe: 'how configs are proposed' })
      .option('seed', { type: 'number', default: 1, describe: 'sampler seed' })
      .option('trials', { type: 'number', describe: "the study's sampled trials in all, by every worker, baselines not counted (default 20 without --time-limit)" })
      .option('worker-trials', { type: 'number', describe: 'sampled trials this worker runs at most (its share of a study several workers run)' })
      .option('heartbeat-timeout', { type: 'number', default: DEFAULT_HEARTBEAT_TIMEOUT_S, describe: 'seconds: a RUNNING trial whose worker sent no heartbeat for this long is failed by another worker' })
      .option('time-limit', { type: 'string', describe: 'stop starting trials after this long, e.g. 10m' })
      .option('repeats', { type: 'string', default: 'auto', describe: 'challenges per video per trial: a number, or auto (until each median is known within 5%; a trial behind the best after one round is not repeated)' })
      .option('max-repeats', { type: 'number', default: DEFAULT_MAX_REPEATS, describe: 'the most repeats per video under --repeats auto' })
      .option('racing', { type: 'string', default: 'on', choices: ['on', 'off'], describe: 'drop trials significantly worse than the best (Wilcoxon signed-rank on shared blocks; Holm in the confirmation race)' })
      .option('race-min-blocks', { type: 'number', default: DEFAULT_RACE.minBlocks, describe: 'blocks (video x repeat) shared with the best before the race may drop a trial' })
      .option('control', { type: 'string', describe: "baseline measured throughout the study to watch the host's speed (default: the space's first; none with --evaluator replay; none: off)" })
      .option('warmup', { type: 'number', default: 0, describe: 'unmeasured challenges per trial before its measured ones' })
      .option('warm-start-from', { type: 'string', describe: "another study of the same store: its finished trials inform the sampler, its best configs are measured here first" })
      .option('warm-start-top', { type: 'number', default: DEFAULT_WARM_START_TOP, describe: 'configs of --warm-start-from measured first (0: none, the sampler still learns from them)' })
      .option('objective', { type: 'string', default: 'fastest-safe', choices: ['fastest-safe', 'sn44'] })
      .option('accuracy-floor', accuracyFloorOption)
      .option('t-min', tMinOption)
      .option('confirm-top', { type: 'number', default: 5, describe: 'feasible sampled trials re-measured side by side with the baselines at the end' })
      .option('confirm-repeats', { type: 'number', default: 5, describe: 'repeats per video in the confirmation race (0 skips it)' })
      .option('device', { type: 'string', default: 'auto', choices: ['auto', 'cpu', 'cuda'], describe: 'inference device' })
      .option('class-map', { type: 'string', describe: 'model class id -> SN44 class, e.g. 0=player,1=goalkeeper,2=referee,32=ball (unlisted classes are dropped)' })
      .option('model-layout', { type: 'string', choices: LAYOUT_KINDS as unknown as string[], describe: 'how to read the model outputs when their shapes do not tell (see README: Your model)' })
      .option('max-detectors', {
        type: 'number',
        describe:
          `detectors (one per image size: an inference thread and its sessions, on a GPU its memory) kept open at once, a hard limit (default ${DEFAULT_MAX_DETECTORS}, ` +
          "or one more than the image sizes of the control and the race's contenders)",
      })
      .option('model-check', { type: 'boolean', default: true, describe: "check the model's answer on the first video before the study (--no-model-check skips it)" })
      .option('require-reproducible', { type: 'boolean', default: false, describe: 'a trial whose repeated answers on a video differ is infeasible (turbovision re-runs miners)' }),
    ) as unknown as Argv<RunArgs>,
  handler: async (args) => {
    const { session: settings, factory } = normalizeRunArgs(args);
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const io = { say, warn: (line: string) => process.stderr.write(`${line}\n`), tty: process.stdout.isTTY === true };
    const outcome = await runSession(settings, factory, io);
    const { result, study: name } = outcome;
    if (result.interrupted) {
      say(`interrupted: ${result.trialsRun} trial(s) run now, every finished challenge is saved in ${redact(settings.db)}`);
      const cut = result.interruptedTrial === null ? '' : `; trial ${result.interruptedTrial}, cut short, is kept as PRUNED and not counted`;
      say(`resume with the same command (study "${name}", ${storageFlag(settings.db)})${cut}`);
      process.exitCode = exitCodeOf('E_INTERRUPTED');
      return;
    }
    say('');
    say(formatRanking(result.ranking.slice(0, 8), result.ranking, terminalWidth()));
    say('');
    for (const note of studyNotes(result.analysis)) say(note);
    const trialsCommand = `autotune trials --study ${name}${settings.db === DEFAULT_DB_PATH ? '' : ` ${storageFlag(settings.db)}`}`;
    if (result.leftTo) {
      const by = result.leftTo === 'other-workers' ? "the worker that completes the study's trials" : `another worker (${result.leftTo.host} pid ${result.leftTo.pid})`;
      say('');
      say(`no winner from this worker: the study goes on in ${by}, which runs the confirmation race and names the winner; the ranking above is from before that`);
      say(`next: once it ends, ${trialsCommand}, then autotune emit`);
      return;
    }
    if (outcome.noWinner) {
      process.stderr.write(`autotune: study "${name}" found no usable config: ${outcome.noWinner}\n`);
      process.exitCode = EXIT_NO_USABLE_CONFIG;
      return;
    }
    const w = result.winner!;
    say('');
    say(`winner: ${describeWinner(w)}`);
    say(describeMeasuredBy({ ...factory.settings, evaluator: factory.name }).line);
    say(`next: ${trialsCommand}, then autotune emit`);
  },
};

