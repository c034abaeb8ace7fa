// The miner evaluator: measures a running miner the way a validator does. Each challenge first
// switches the miner to the challenge's config when it runs another one (write the .env, restart,
// wait until ready: timed, never part of the challenge), then POSTs the challenge to its endpoint and
// times it from the send to the last byte of the reply. `close` leaves the miner as it was found.

import { AutotuneError, messageOf } from '../errors.js';
import { failedResult } from '../pipeline/result.js';
import type { ChallengeResult, Config, VideoRef } from '../pipeline/types.js';
import { ExternalEvaluator, newChallengeId, type ExternalEvaluatorOptions, type RunOutcome } from './external.js';
import type { Restarter } from './restart/index.js';
import { endpointAnswers, postChallenge, routeOf } from './send.js';
import { MinerSession } from './session.js';

export interface MinerEvaluatorOptions extends ExternalEvaluatorOptions {
  minerUrl: string;
  /** How the miner is switched between configs; null measures it as it runs (configs must be empty). */
  control: { minerDir: string; restarter: Restarter } | null;
  /** Longest wait from a restart until the miner answers (default 120 s). */
  readyTimeoutS?: number;
  /** HTTP timeout of a challenge (default: the protocol's, 240 s for sn44, 30 s for turbovision). */
  timeoutS?: number;
}

/** Opens the miner: restores what an interrupted study left, reads the .env as found, checks it answers. */
export async function openMinerEvaluator(options: MinerEvaluatorOptions): Promise<MinerEvaluator> {
  if (!options.control) {
    if (!(await endpointAnswers(options.minerUrl))) {
      throw new AutotuneError('E_MINER', `the miner at ${options.minerUrl} does not answer`, { hint: 'start it (and check --miner-url), then run again' });
    }
    return new MinerEvaluator(options, null);
  }
  const session = await MinerSession.open({
    minerDir: options.control.minerDir,
    minerUrl: options.minerUrl,
    restarter: options.control.restarter,
    readyTimeoutS: options.readyTimeoutS ?? 120,
    log: options.log ?? (() => {}),
  });
  return new MinerEvaluator(options, session);
}

export class MinerEvaluator extends ExternalEvaluator {
  readonly switching = 'restart' as const;
  protected readonly source = 'miner';
  private closed = false;

  constructor(
    private readonly miner: MinerEvaluatorOptions,
    private readonly session: MinerSession | null,
  ) {
    super(miner);
  }

  override async evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeResult> {
    if (this.closed) return failedResult(video.url, config, { reason: 'internal', message: 'the miner evaluator is closed' });
    return super.evaluate(config, video, signal);
  }

  protected async run(config: Config, video: VideoRef, signal?: AbortSignal): Promise<RunOutcome> {
    const switched = this.session
      ? await this.session.switchTo(config, signal)
      : Object.keys(config).length === 0
        ? { setupS: null, error: null }
        : { setupS: null, error: { reason: 'internal' as const, message: 'cannot switch the miner to a config without --miner-dir and --pm2 or --restart-command' } };
    const challengeId = newChallengeId();
    if (switched.error) {
      return { reply: { body: null, status: null, headS: null, totalS: null, error: switched.error }, challengeId, setupS: switched.setupS };
    }
    const protocol = this.options.protocol;
    const reply = await postChallenge(
      routeOf(this.miner.minerUrl, protocol.path),
      protocol.request(challengeId, video.url, new Date()),
      this.miner.timeoutS ?? protocol.timeoutS,
      signal,
    );
    return { reply, challengeId, setupS: switched.setupS };
  }

  protected identity(): string {
    return this.session?.identity(this.options.protocol.name) ?? JSON.stringify({ url: this.miner.minerUrl, protocol: this.options.protocol.name });
  }

  /** Restores the miner (the .env byte for byte, the process on its original values). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.session?.restore();
    } catch (err) {
      this.log(`autotune: ${messageOf(err)}`);
      throw err;
    } finally {
      await this.miner.control?.restarter.close();
    }
  }
}
