// autotune demo: the whole loop on the built-in lab, from nothing to emitted files.

import type { Argv } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { AutotuneError, EXIT_NO_USABLE_CONFIG, exitCodeOf } from '../../errors.js';
import { DEMO_DEFAULTS, runDemo, type DemoOptions } from '../../demo/run-demo.js';
import { parseDuration } from '../../study/sources.js';
import { accuracyFloorOption, checkAccuracyFloor, parseRepeats } from '../options.js';
import { PIPELINE_EVALUATOR_NAME } from '../../pipeline/factory.js';
import { describeMeasuredBy } from '../../study/measured-by.js';
import { describeWinner } from '../../study/notes.js';
import { formatRanking } from './trials.js';
import { givenValue, terminalWidth } from '../output.js';

interface DemoArgs {
  out: string;
  samples: string;
  frames: number;
  trials: number;
  repeats: string;
  maxRepeats: number;
  profile: string;
  timeLimit: string;
  seed: number;
  accuracyFloor: number;
}

function normalizeDemoArgs(args: DemoArgs): DemoOptions {
  for (const [name, value] of [['frames', args.frames], ['trials', args.trials], ['max-repeats', args.maxRepeats]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new AutotuneError('E_USAGE', `--${name} must be an integer >= 1, got ${givenValue(value)}`, { hint: 'see autotune demo --help' });
    }
  }
  if (!Number.isInteger(args.seed) || args.seed < 0) {
    throw new AutotuneError('E_USAGE', `--seed must be an integer >= 0, got ${givenValue(args.seed)}`, { hint: 'e.g. --seed 1' });
  }
  return {
    ...DEMO_DEFAULTS,
    seed: args.seed,
    accuracyFloor: checkAccuracyFloor(args.accuracyFloor),
    outDir: args.out,
    samplesDir: args.samples,
    frames: args.frames,
    trials: args.trials,
    repeats: parseRepeats(args.repeats, args.maxRepeats),
    profile: args.profile,
    timeLimitMs: parseDuration(args.timeLimit),
  };
}

export const demoCommand: CommandBody<DemoArgs> = {
  builder: (y) =>
    y
      .option('out', { type: 'string', default: DEMO_DEFAULTS.outDir, describe: 'folder for the study and emitted files' })
      .option('samples', { type: 'string', default: DEMO_DEFAULTS.samplesDir, describe: 'folder for the lab clips (made if missing)' })
      .option('frames', { type: 'number', default: DEMO_DEFAULTS.frames, describe: 'frames per lab clip' })
      .option('trials', { type: 'number', default: DEMO_DEFAULTS.trials, describe: 'sampled trials (baselines not counted)' })
      .option('repeats', { type: 'string', default: 'auto', describe: 'challenges per clip per trial: a number, or auto' })
      .option('max-repeats', { type: 'number', default: 3, describe: 'the most repeats per clip under --repeats auto' })
      .option('profile', { type: 'string', default: DEMO_DEFAULTS.profile, describe: 'lab link profile: lan, fork, seed-slow' })
      .option('time-limit', { type: 'string', default: '150s', describe: 'stop starting trials after this long' })
      .option('seed', { type: 'number', default: DEMO_DEFAULTS.seed, describe: 'seed of the clips and the sampler' })
      .option('accuracy-floor', { ...accuracyFloorOption, default: DEMO_DEFAULTS.accuracyFloor }) as unknown as Argv<DemoArgs>,
  handler: async (args) => {
    const options = normalizeDemoArgs(args);
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const started = Date.now();
    const demo = await runDemo(options, { say, warn: (line) => process.stderr.write(`${line}\n`), tty: process.stdout.isTTY === true });
    if (demo.interrupted) {
      say(`interrupted: every finished challenge is saved in ${demo.db}`);
      process.exitCode = exitCodeOf('E_INTERRUPTED');
      return;
    }
    say('');
    say('top trials:');
    say(formatRanking(demo.ranking.slice(0, 5), demo.ranking, terminalWidth()));
    say('');
    for (const note of demo.notes) say(note);
    if (demo.winner) {
      say(`winner: ${describeWinner(demo.winner)}`);
      say(describeMeasuredBy({ evaluator: PIPELINE_EVALUATOR_NAME }).line);
    } else {
      say(`no config met the accuracy floor: ${demo.noWinner ?? 'see the report'}`);
    }
    say(`files (in ${((Date.now() - started) / 1000).toFixed(0)} s):`);
    for (const file of demo.files) say(`  ${file}`);
    say('');
    say('next:');
    say(`  open ${options.outDir}/report.html`);
    say(`  autotune trials --db ${demo.db}`);
    if (demo.winner) say(`  autotune apply --miner-dir ~/sn44-miner --env ${options.outDir}/best.env --space ${demo.space} --pm2 sn44-miner   (dry run; add --yes to apply)`);
    say('  on your miner host: autotune run --url https://.../chunk.mp4 --model your-yolo.onnx, then --evaluator miner to time the miner itself');
    if (!demo.winner) process.exitCode = EXIT_NO_USABLE_CONFIG;
  },
};
