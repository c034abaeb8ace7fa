// What the miner and command evaluators share: the video facts an answer is checked against, the
// reference answers (made once per video with the space's reference config, stored like the
// pipeline's), and judging each reply. Subclasses only say how one challenge is run.

import { randomBytes } from 'node:crypto';
import { readTruth, type Truth } from '../lab/clips/index.js';
import { readVideoFacts } from '../net/video-facts.js';
import { referenceKey, videoIdentity } from '../pipeline/reference/index.js';
import type { ChallengeResult, Config, Evaluator, VideoRef } from '../pipeline/types.js';
import { DEFAULT_T_MIN_S } from '../score/sn44.js';
import { judgeReply, type MinerReference } from './judge.js';
import type { MinerProtocol, VideoShape } from './protocol/index.js';
import type { Reply } from './send.js';

export interface MinerReferenceCache {
  get(key: string): Promise<MinerReference | null>;
  put(key: string, reference: MinerReference): Promise<void>;
}

/** Where a video's reference answer comes from. */
export type ReferencePlan =
  /** The evaluated miner itself under the space's reference config (the default). */
  | { kind: 'own'; config: Config; cache: MinerReferenceCache }
  /** Another source, e.g. the project's pipeline (--reference pipeline). */
  | { kind: 'external'; get: (video: VideoRef, signal?: AbortSignal) => Promise<MinerReference | null> }
  | { kind: 'none' };

export interface ExternalEvaluatorOptions {
  protocol: MinerProtocol;
  reference: ReferencePlan;
  /** The study's videos: their references are made together, before the first challenge. */
  videos: readonly VideoRef[];
  ca?: string | undefined;
  tMin?: number;
  log?: (line: string) => void;
}

export interface RunOutcome {
  reply: Reply;
  /** The id the reply must echo; null when the protocol form has none. */
  challengeId: string | null;
  setupS: number | null;
}

export abstract class ExternalEvaluator implements Evaluator {
  abstract readonly switching: 'free' | 'restart';
  protected readonly log: (line: string) => void;
  private readonly facts = new Map<string, Promise<VideoShape>>();
  private readonly truths = new Map<string, Promise<Truth | null>>();
  private readonly references = new Map<string, MinerReference | null>();
  private prepared: Promise<void> | null = null;

  constructor(protected readonly options: ExternalEvaluatorOptions) {
    this.log = options.log ?? (() => {});
  }

  /** Runs one challenge of `config` on the video (switching the miner to it first when needed). */
  protected abstract run(config: Config, video: VideoRef, signal?: AbortSignal): Promise<RunOutcome>;
  /** What identifies the evaluated miner in reference keys. */
  protected abstract identity(): string;
  protected abstract readonly source: string;

  abstract close(): Promise<void>;

  async evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeResult> {
    this.prepared ??= this.prepareReferences(this.options.videos, signal).catch((err) => {
      this.prepared = null;
      throw err;
    });
    await this.prepared;
    const reference = await this.referenceFor(video, signal);
    return (await this.challenge(config, video, reference, signal)).result;
  }

  /** The video's reference answer (made when missing); null when none could be made. */
  async referenceFor(video: VideoRef, signal?: AbortSignal): Promise<MinerReference | null> {
    if (!this.references.has(video.url)) await this.prepareReferences([video], signal);
    return this.references.get(video.url) ?? null;
  }

  private async challenge(config: Config, video: VideoRef, reference: MinerReference | null, signal?: AbortSignal) {
    const [shape, truth] = await Promise.all([this.shapeOf(video), this.truthOf(video)]);
    const run = await this.run(config, video, signal);
    return judgeReply({
      url: video.url,
      config,
      reply: run.reply,
      protocol: this.options.protocol,
      challengeId: run.challengeId,
      video: shape,
      reference,
      truth,
      tMin: this.options.tMin ?? DEFAULT_T_MIN_S,
      setupS: run.setupS,
    });
  }

  /** Makes the missing references of `videos` back to back (one switch to the reference config). */
  private async prepareReferences(videos: readonly VideoRef[], signal?: AbortSignal): Promise<void> {
    const plan = this.options.reference;
    for (const video of videos) {
      if (this.references.has(video.url)) continue;
      if (plan.kind === 'none') this.references.set(video.url, null);
      else if (plan.kind === 'external') this.references.set(video.url, await plan.get(video, signal));
      else this.references.set(video.url, await this.ownReference(video, plan, signal));
    }
  }

  private async ownReference(video: VideoRef, plan: Extract<ReferencePlan, { kind: 'own' }>, signal?: AbortSignal): Promise<MinerReference | null> {
    let videoId: string;
    try {
      videoId = await videoIdentity(video.url, this.options.ca);
    } catch (err) {
      this.log(`reference: ${(err as Error).message}`);
      return null;
    }
    const key = referenceKey(videoId, this.identity(), plan.config);
    const cached = await plan.cache.get(key);
    if (cached) return cached;
    this.log(`reference: the ${this.source}'s answer for ${video.url} under the space's reference config`);
    const made = await this.challenge(plan.config, video, null, signal);
    if (made.result.error || !made.answer) {
      this.log(`reference: failed for ${video.url}: ${made.result.error?.reason}: ${made.result.error?.message}`);
      return null;
    }
    const reference: MinerReference = {
      key,
      videoId,
      url: video.url,
      source: this.source,
      config: plan.config,
      framesInVideo: made.result.framesInVideo,
      answer: made.answer,
      createdAt: new Date().toISOString(),
    };
    await plan.cache.put(key, reference);
    return reference;
  }

  private shapeOf(video: VideoRef): Promise<VideoShape> {
    let shape = this.facts.get(video.url);
    if (!shape) {
      shape = readVideoFacts(video.url, { ca: this.options.ca }).then(
        (f) => {
          if (f.error) this.log(`note: ${video.url}: ${f.error}; answers are not checked against its frame count`);
          return { frameCount: f.frameCount, width: f.width, height: f.height };
        },
        (err: Error) => {
          this.log(`note: cannot read ${video.url}'s container facts (${err.message}); answers are not checked against them`);
          this.facts.delete(video.url);
          return { frameCount: null, width: null, height: null };
        },
      );
      this.facts.set(video.url, shape);
    }
    return shape;
  }

  private truthOf(video: VideoRef): Promise<Truth | null> {
    if (!video.truthPath) return Promise.resolve(null);
    let truth = this.truths.get(video.url);
    if (!truth) {
      truth = readTruth(video.truthPath).catch((err: Error) => {
        this.log(`truth: ${err.message}`);
        return null;
      });
      this.truths.set(video.url, truth);
    }
    return truth;
  }
}

export function newChallengeId(): string {
  return `autotune-${randomBytes(8).toString('hex')}`;
}
