// Command line of `npm run bench`, normalized once into BenchSettings.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { PROFILE_NAMES } from '../../src/lab/server/index.js';

export interface BenchSettings {
  frames: number;
  clips: number;
  width: number;
  height: number;
  fps: number;
  trials: number;
  /** Repeats per video of the side-by-side run. */
  repeats: number;
  /** Repeats per video of each study trial, and of the study's confirmation race. */
  studyRepeats: number;
  confirmTop: number;
  confirmRepeats: number;
  profiles: string[];
  space: string;
  seed: number;
  model: string;
  tMin: number;
  accuracyFloor: number;
  /** Which configs get the stage-alone measurements: every one, the winner only, or none. */
  floor: 'all' | 'winner' | 'none';
  device: 'auto' | 'cpu' | 'cuda';
  outDir: string;
}

const USAGE = `npm run bench -- [options]

The headline benchmark: for each lab link profile, a budgeted study on the lab clips finds a winner,
then the fork's presets and the winner are measured side by side (interleaved), with the floor ratio
(total time over the slowest stage measured alone). Results go to results/bench/.`;

export function parseBenchArgs(argv: string[] = hideBin(process.argv)): BenchSettings {
  const a = yargs(argv)
    .usage(USAGE)
    .option('frames', { type: 'number', default: 750, describe: 'frames per lab clip (25 fps)' })
    .option('clips', { type: 'number', default: 2, describe: 'lab clips (seeds 1..N)' })
    .option('size', { type: 'string', default: '1280x720', describe: 'clip size WIDTHxHEIGHT' })
    .option('trials', { type: 'number', default: 8, describe: 'sampled study trials per profile (baselines not counted)' })
    .option('repeats', { type: 'number', default: 3, describe: 'repeats per video of the side-by-side run' })
    .option('study-repeats', { type: 'number', default: 1, describe: 'repeats per video of each study trial' })
    .option('confirm-top', { type: 'number', default: 2, describe: "trials in the study's confirmation race" })
    .option('confirm-repeats', { type: 'number', default: 1, describe: "repeats of the study's confirmation race (0 skips it)" })
    .option('profiles', { type: 'string', default: 'seed-slow,fork', describe: `lab link profiles (${PROFILE_NAMES.join(', ')})` })
    .option('space', { type: 'string', default: 'search-spaces/quick.yaml', describe: 'search space file' })
    .option('seed', { type: 'number', default: 1, describe: 'sampler seed' })
    .option('model', { type: 'string', default: 'models/lab-detector.onnx', describe: 'ONNX model (the lab model is made if missing)' })
    .option('t-min', { type: 'number', default: 2, describe: 'SN44 estimate: the fastest competitor, seconds' })
    .option('accuracy-floor', { type: 'number', default: 0.98, describe: 'study objective: minimum F1 against the reference' })
    .option('floor', { type: 'string', default: 'all', choices: ['all', 'winner', 'none'], describe: 'configs that get stage-alone measurements' })
    .option('device', { type: 'string', default: 'auto', choices: ['auto', 'cpu', 'cuda'], describe: 'inference device' })
    .option('out', { type: 'string', default: 'results/bench', describe: 'output folder' })
    .strict()
    .help()
    .parseSync();

  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) fail(`--${name} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  const size = /^(\d+)x(\d+)$/.exec(a.size);
  if (!size) fail(`--size ${a.size} is not WIDTHxHEIGHT`);
  const profiles = a.profiles
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of profiles) if (!(PROFILE_NAMES as readonly string[]).includes(p)) fail(`unknown profile ${p}: use ${PROFILE_NAMES.join(', ')}`);
  if (profiles.length === 0) fail('--profiles names no profile');
  return {
    frames: int('frames', a.frames, 2),
    clips: int('clips', a.clips, 1),
    width: Number(size![1]),
    height: Number(size![2]),
    fps: 25,
    trials: int('trials', a.trials, 0),
    repeats: int('repeats', a.repeats, 1),
    studyRepeats: int('study-repeats', a['study-repeats'], 1),
    confirmTop: int('confirm-top', a['confirm-top'], 0),
    confirmRepeats: int('confirm-repeats', a['confirm-repeats'], 0),
    profiles,
    space: a.space,
    seed: int('seed', a.seed, 0),
    model: a.model,
    tMin: a['t-min'],
    accuracyFloor: a['accuracy-floor'],
    floor: a.floor as BenchSettings['floor'],
    device: a.device as BenchSettings['device'],
    outDir: a.out,
  };
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}
