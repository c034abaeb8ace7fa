// A challenge's answer scored against the video's reference answer: coverage, F1 and the SN44
// estimate, the same way whichever evaluator produced the answer (the pipeline or a running miner).

import { compareAnswers, type FrameBoxes } from './accuracy.js';
import { DEFAULT_T_MIN_S, estimateSn44 } from './sn44.js';

export interface AnsweredChallenge {
  answer: readonly FrameBoxes[];
  framesAnswered: number;
  framesInVideo: number | null;
  /** Why the challenge failed (its failure reason); null when it did not. */
  error: { reason: string } | null;
  /** Seconds until the answer; null when it never came. */
  total: number | null;
}

export interface BoxReference {
  answer: readonly FrameBoxes[];
  framesInVideo: number;
  /** Seeds the SN44 frame sample, so every config is judged on the same frames of a video. */
  videoId: string;
}

export interface ChallengeScores {
  framesInVideo: number | null;
  coverage: number | null;
  accuracy: number | null;
  sn44: number | null;
}

export function scoreAgainstReference(c: AnsweredChallenge, reference: BoxReference | null, tMin = DEFAULT_T_MIN_S): ChallengeScores {
  const framesInVideo = c.framesInVideo ?? reference?.framesInVideo ?? null;
  const scores: ChallengeScores = { framesInVideo, coverage: framesInVideo ? c.framesAnswered / framesInVideo : null, accuracy: null, sn44: null };
  if (!reference || !framesInVideo) return scores;
  scores.accuracy = compareAnswers(c.answer, reference.answer, { frameCount: framesInVideo }).f1;
  // A validator receives nothing from a miner whose challenge failed, except after a stall, where
  // the fork answers with the frames it has.
  const delivered = c.error === null || c.error.reason === 'stall' ? c.answer : [];
  scores.sn44 = estimateSn44({
    answer: delivered,
    reference: reference.answer,
    framesInVideo,
    seconds: c.total,
    sampleSeed: reference.videoId,
    tMin,
  }).final;
  return scores;
}
