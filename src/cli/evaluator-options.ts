// The options that pick what measures a challenge (shared by run and diagnose): the built-in
// pipeline, a running miner reached through its endpoint, or a command per challenge; on run also the
// replay of a recorded table. Normalized here once; inner code sees ExternalOptions (made into an
// evaluator factory by src/miner/factory.ts) or ReplayFactoryOptions (src/replay/factory.ts).

import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { AutotuneError } from '../errors.js';
import { mentions, splitCommand } from '../miner/command/argv.js';
import type { ExternalOptions, ExternalTarget } from '../miner/factory.js';
import { PROTOCOL_NAMES, type ProtocolName } from '../miner/protocol/index.js';
import { checkUrl } from '../study/sources.js';
import type { PipelineFactoryOptions } from '../pipeline/factory.js';
import type { ReplayFactoryOptions } from '../replay/factory.js';
import type { ReplayMissing } from '../replay/evaluator.js';
import { readReplayTable } from '../replay/read.js';
import { givenValue } from './output.js';

export interface EvaluatorArgs {
  evaluator: string;
  minerUrl?: string;
  minerDir?: string;
  pm2?: string;
  restartCommand?: string;
  protocol: string;
  readyTimeout: number;
  challengeTimeout?: number;
  reference: string;
  command?: string;
}

export const EVALUATOR_NAMES = ['pipeline', 'miner', 'command'] as const;

const EVALUATOR_OPTION = {
  choices: [...EVALUATOR_NAMES],
  describe: "what measures a challenge: this project's pipeline, a running miner's endpoint, or a command",
};

/** --table and --replay-missing of `run --evaluator replay`. */
export interface ReplayArgs {
  table?: string;
  replayMissing: string;
}

export function withEvaluatorOptions<T>(y: Argv<T>, evaluator: { describe: string; choices: string[] } = EVALUATOR_OPTION): Argv<T & EvaluatorArgs> {
  return y
    .option('evaluator', { type: 'string', default: 'pipeline', ...evaluator })
    .option('miner-url', { type: 'string', describe: "miner: the miner's base URL, e.g. http://127.0.0.1:7999" })
    .option('miner-dir', { type: 'string', describe: "miner: the miner's folder (its .env is rewritten per trial and restored)" })
    .option('pm2', { type: 'string', describe: 'miner: the pm2 process to restart with each trial (pm2 restart NAME --update-env)' })
    .option('restart-command', { type: 'string', describe: "miner: restart command for a miner pm2 does not run; gets the trial's knobs in its environment and {env} = an env file of them" })
    .option('protocol', { type: 'string', default: 'sn44', choices: PROTOCOL_NAMES as unknown as string[], describe: 'miner: sn44 (POST /soccer/challenge) or turbovision (POST /challenge)' })
    .option('ready-timeout', { type: 'number', default: 120, describe: 'miner: longest wait from a restart until the miner answers, seconds' })
    .option('challenge-timeout', { type: 'number', describe: "miner/command: a challenge's timeout in seconds (default the validator's: 240 sn44, 30 turbovision)" })
    .option('reference', { type: 'string', default: 'miner', choices: ['miner', 'pipeline'], describe: "miner/command: accuracy against the miner's own answers under the space's reference config, or this project's pipeline (needs --model)" })
    .option('command', { type: 'string', describe: 'command: run per challenge, {url} = the video URL (one argument, no shell); prints an sn44 answer' }) as unknown as Argv<T & EvaluatorArgs>;
}

/** The evaluator options of `run`: those above, and the replay of a recorded table. */
export function withRunEvaluatorOptions<T>(y: Argv<T>): Argv<T & EvaluatorArgs & ReplayArgs> {
  return withEvaluatorOptions(y, {
    choices: [...EVALUATOR_NAMES, 'replay'],
    describe: "what measures a challenge: this project's pipeline, a running miner's endpoint, a command, or the replay of a recorded table (--table)",
  })
    .option('table', { type: 'string', describe: 'replay: the replay table (CSV, see docs/replay-table.md), e.g. from autotune export' })
    .option('replay-missing', {
      type: 'string',
      default: 'error',
      choices: ['error', 'fail'],
      describe: 'replay: a config the table has no row for stops the study (error) or fails its challenges (fail)',
    }) as unknown as Argv<T & EvaluatorArgs & ReplayArgs>;
}

/**
 * The replay evaluator's options for `run --evaluator replay` (the table read and checked here); null
 * for another evaluator. E_USAGE for options that do not fit together, E_INPUT for a malformed table.
 */
export function normalizeReplayArgs(
  a: EvaluatorArgs & ReplayArgs,
  context: { objective: string; tMin: number; seed: number },
): ReplayFactoryOptions | null {
  if (a.evaluator !== 'replay') {
    if (a.table !== undefined) throw usage('--table needs --evaluator replay', 'add --evaluator replay, or drop --table');
    return null;
  }
  const stray = (['minerUrl', 'minerDir', 'pm2', 'restartCommand', 'command', 'challengeTimeout'] as const).filter((k) => a[k] !== undefined);
  if (stray.length > 0) {
    const flags = stray.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw usage(`${flags.join(', ')} do not apply to --evaluator replay`, 'the table holds the measurements; drop them');
  }
  if (a.table === undefined) throw usage('--evaluator replay needs --table', 'e.g. --table results/study.csv, written by autotune export');
  const table = readReplayTable(a.table);
  if (context.objective === 'sn44' && !table.extras.includes('sn44_quality')) {
    throw new AutotuneError('E_INPUT', `replay table ${a.table} has no sn44_quality column, which --objective sn44 needs`, {
      hint: 'export the table with autotune export (it writes the column), or use --objective fastest-safe',
    });
  }
  return { table, seed: context.seed, missing: a.replayMissing as ReplayMissing, tMin: context.tMin };
}

const usage = (message: string, hint: string) => new AutotuneError('E_USAGE', message, { hint });

/** null for the pipeline evaluator; E_USAGE for options that do not fit together. */
export function normalizeEvaluatorArgs(
  a: EvaluatorArgs,
  context: { objective?: string; tMin: number; pipeline: PipelineFactoryOptions; allowNoRestart?: boolean },
): ExternalOptions | null {
  const minerOnly = (['minerUrl', 'minerDir', 'pm2', 'restartCommand'] as const).filter((k) => a[k] !== undefined);
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (a.evaluator === 'pipeline') {
    const stray = [...minerOnly, ...(a.command !== undefined ? ['command'] : [])];
    if (stray.length > 0) throw usage(`${stray.map(flag).join(', ')} need --evaluator miner or command`, 'add --evaluator miner (or command), or drop them');
    return null;
  }
  const protocol = a.protocol as ProtocolName;
  if (!(a.readyTimeout > 0)) throw usage(`--ready-timeout must be a positive number of seconds, got ${givenValue(a.readyTimeout)}`, 'e.g. 120');
  if (a.challengeTimeout !== undefined && !(a.challengeTimeout > 0)) throw usage(`--challenge-timeout must be a positive number of seconds, got ${givenValue(a.challengeTimeout)}`, 'e.g. 30');
  if (protocol === 'turbovision' && context.objective === 'sn44') {
    throw usage('--objective sn44 estimates the legacy validator\'s score, which does not apply to --protocol turbovision', 'use --objective fastest-safe');
  }
  if (protocol === 'turbovision' && a.reference === 'pipeline') {
    throw usage('--reference pipeline gives boxes, not the action items of --protocol turbovision', "drop --reference (the miner's own answers are the reference)");
  }
  let target: ExternalTarget;
  if (a.evaluator === 'command') {
    if (minerOnly.length > 0) throw usage(`${minerOnly.map(flag).join(', ')} do not apply to --evaluator command`, 'the command is run per challenge; drop them');
    if (protocol !== 'sn44') throw usage('--evaluator command reads an sn44 answer from the command\'s stdout', 'drop --protocol');
    if (a.command === undefined) throw usage('--evaluator command needs --command', "e.g. --command 'python3 scripts/benchmark_miner.py --video-url {url}'");
    const argv = splitCommand(a.command, '--command');
    if (!mentions(argv, 'url')) throw usage(`--command ${JSON.stringify(a.command)} has no {url}`, 'put {url} where the video URL goes');
    target = { kind: 'command', argv };
  } else {
    if (a.command !== undefined) throw usage('--command needs --evaluator command', 'drop --command, or use --evaluator command');
    if (a.minerUrl === undefined) throw usage('--evaluator miner needs --miner-url', 'e.g. --miner-url http://127.0.0.1:7999');
    checkUrl(a.minerUrl, '--miner-url');
    if (a.pm2 !== undefined && a.restartCommand !== undefined) throw usage('use only one of --pm2, --restart-command', 'pm2 runs the miner, or your command restarts it');
    const restarts = a.pm2 !== undefined || a.restartCommand !== undefined;
    if (!restarts && !context.allowNoRestart) throw usage('--evaluator miner needs --pm2 NAME or --restart-command', 'say how the miner is restarted with each trial\'s knobs');
    if (restarts && a.minerDir === undefined) throw usage('--evaluator miner needs --miner-dir', "the miner's folder, whose .env holds its settings");
    target = {
      kind: 'miner',
      url: a.minerUrl,
      minerDir: restarts ? resolve(a.minerDir!) : null,
      restart:
        a.pm2 !== undefined
          ? { kind: 'pm2', name: a.pm2 }
          : a.restartCommand !== undefined
            ? { kind: 'command', argv: splitCommand(a.restartCommand, '--restart-command') }
            : null,
      readyTimeoutS: a.readyTimeout,
    };
  }
  return {
    target,
    protocol,
    timeoutS: a.challengeTimeout ?? null,
    reference: a.reference === 'pipeline' ? 'pipeline' : 'own',
    tMin: context.tMin,
    pipeline: context.pipeline,
  };
}
