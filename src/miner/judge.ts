// A miner's reply judged as a validator would: checked against the protocol, then scored against the
// video's reference exactly as the pipeline evaluator scores its own answers. Success and failure
// come out as one ChallengeResult.

import type { Truth } from '../lab/clips/index.js';
import type { ChallengeError, ChallengeResult, Config } from '../pipeline/types.js';
import { compareAnswers } from '../score/accuracy.js';
import { compareActions } from '../score/actions.js';
import { scoreAgainstReference } from '../score/challenge.js';
import type { MinerAnswer, MinerProtocol, VideoShape } from './protocol/index.js';
import type { Reply } from './send.js';

/** A video's yardstick: the reference config's answer (the miner's own, or the pipeline's). */
export interface MinerReference {
  key: string;
  videoId: string;
  url: string;
  /** Where it came from: 'miner', 'command' or 'pipeline'. */
  source: string;
  config: Config;
  framesInVideo: number | null;
  answer: MinerAnswer;
  createdAt: string;
}

export interface Judged {
  result: ChallengeResult;
  /** The checked answer; null when the challenge failed. */
  answer: MinerAnswer | null;
}

export interface JudgeInput {
  url: string;
  config: Config;
  reply: Reply;
  protocol: MinerProtocol;
  challengeId: string | null;
  video: VideoShape;
  reference: MinerReference | null;
  truth: Truth | null;
  tMin: number;
  setupS: number | null;
}

export function judgeReply(i: JudgeInput): Judged {
  const checked = i.reply.error === null && i.reply.body !== null ? i.protocol.check(i.reply.body, { challengeId: i.challengeId, video: i.video }) : null;
  const error: ChallengeError | null = i.reply.error ?? (checked && !checked.ok ? checked.error : null);
  const answer = checked?.ok ? checked.answer : null;
  const frames = answer?.kind === 'boxes' ? answer.frames : [];
  const answered = answer === null ? 0 : answer.kind === 'boxes' ? answer.frames.length : answer.items.length;
  const result: ChallengeResult = {
    url: i.url,
    config: i.config,
    timeline: {
      connected: null,
      firstByte: i.reply.headS,
      downloadEnd: null,
      decoderStart: null,
      firstFrame: null,
      firstBatch: null,
      lastFrame: null,
      total: i.reply.totalS,
    },
    bytes: i.reply.body === null ? 0 : Buffer.byteLength(i.reply.body),
    protocol: null,
    // Seen from outside, a miner's decoded frames are the frames it answered.
    framesDecoded: answered,
    framesAnswered: answered,
    framesInVideo: i.video.frameCount ?? i.reference?.framesInVideo ?? null,
    provider: null,
    decoder: null,
    answer: frames,
    accuracy: null,
    coverage: null,
    truthF1: null,
    sn44: null,
    error,
    setupS: i.setupS,
    answerHash: checked?.ok ? checked.hash : null,
  };
  if (i.protocol.name === 'turbovision') {
    const reference = i.reference?.answer.kind === 'actions' ? i.reference.answer.items : null;
    if (reference && answer?.kind === 'actions') result.accuracy = compareActions(answer.items, reference).f1;
    return { result, answer };
  }
  const reference = i.reference && i.reference.answer.kind === 'boxes' && i.reference.framesInVideo !== null
    ? { answer: i.reference.answer.frames, framesInVideo: i.reference.framesInVideo, videoId: i.reference.videoId }
    : null;
  Object.assign(result, scoreAgainstReference({ ...result, total: error ? null : result.timeline.total }, reference, i.tMin));
  if (i.truth && answer) result.truthF1 = compareAnswers(frames, i.truth.frames, { frameCount: i.truth.frameCount }).f1;
  return { result, answer };
}
