// The command evaluator (irace's target runner): for miners whose endpoint cannot be reached without
// a validator's signature, each challenge runs a command with the config's knobs in its environment
// and the video URL substituted as one argument (no shell); its stdout is the answer in the sn44
// schema, its time is from spawn to exit.

import { execa } from 'execa';
import { messageOf } from '../../errors.js';
import type { Config, VideoRef } from '../../pipeline/types.js';
import { tunedValuesOf } from '../env.js';
import { ExternalEvaluator, type ExternalEvaluatorOptions, type RunOutcome } from '../external.js';
import { tailLines } from '../restart/index.js';
import { substitute } from './argv.js';

export interface CommandEvaluatorOptions extends ExternalEvaluatorOptions {
  /** The command's words, with {url} where the video URL goes (see splitCommand). */
  argv: string[];
  /** Longest run of one challenge, seconds (default: the protocol's timeout). */
  timeoutS?: number;
}

const MAX_STDOUT = 256 * 1024 * 1024;

export class CommandEvaluator extends ExternalEvaluator {
  readonly switching = 'free' as const;
  protected readonly source = 'command';

  constructor(private readonly command: CommandEvaluatorOptions) {
    super(command);
  }

  protected async run(config: Config, video: VideoRef, signal?: AbortSignal): Promise<RunOutcome> {
    let env: Record<string, string>;
    try {
      env = Object.fromEntries(tunedValuesOf(config, 'the trial config').map((v) => [v.key, v.value]));
    } catch (err) {
      return this.outcome({ body: null, status: null, headS: null, totalS: null, error: { reason: 'internal', message: messageOf(err) } });
    }
    const [file, ...args] = substitute(this.command.argv, { url: video.url });
    const timeoutS = this.command.timeoutS ?? this.options.protocol.timeoutS;
    const t0 = performance.now();
    const run = await execa(file!, args, {
      env,
      extendEnv: true,
      reject: false,
      stdin: 'ignore',
      timeout: timeoutS * 1000,
      maxBuffer: MAX_STDOUT,
      stripFinalNewline: false,
      ...(signal ? { cancelSignal: signal } : {}),
    });
    const totalS = (performance.now() - t0) / 1000;
    const stdout = String(run.stdout ?? '');
    const reply = { body: stdout, status: null, headS: null, totalS, error: null };
    if (run.timedOut) return this.outcome({ ...reply, body: null, totalS: null, error: { reason: 'timeout', message: `the command did not exit within ${timeoutS} s` } });
    if (run.isCanceled) return this.outcome({ ...reply, body: null, error: { reason: 'internal', message: 'the challenge was aborted' } });
    if (run.exitCode !== 0) {
      const why = run.exitCode === undefined ? `could not run ${file} (${run.shortMessage})` : `the command exited ${run.exitCode}`;
      const stderr = tailLines(String(run.stderr ?? ''));
      return this.outcome({ ...reply, body: null, error: { reason: 'command-exit', message: `${why}${stderr ? `: ${stderr}` : ''}` } });
    }
    return this.outcome(reply);
  }

  private outcome(reply: RunOutcome['reply']): RunOutcome {
    return { reply, challengeId: null, setupS: null };
  }

  protected identity(): string {
    return JSON.stringify({ command: this.command.argv, protocol: this.options.protocol.name });
  }

  async close(): Promise<void> {}
}
