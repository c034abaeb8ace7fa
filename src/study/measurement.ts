// ChallengeResult -> stored measurement; an evaluator that throws still yields a failed result.

import { failedResult } from '../pipeline/result.js';
import type { ChallengeResult, Config, VideoRef } from '../pipeline/types.js';
import type { NewMeasurement, Phase } from '../store/types.js';
import { messageOf } from '../errors.js';

export function measurementOf(result: ChallengeResult, repeat: number, phase: Phase): NewMeasurement {
  return {
    videoUrl: result.url,
    repeat,
    phase,
    timeline: result.timeline,
    bytes: result.bytes,
    protocol: result.protocol,
    framesDecoded: result.framesDecoded,
    framesAnswered: result.framesAnswered,
    framesInVideo: result.framesInVideo,
    accuracy: result.accuracy,
    coverage: result.coverage,
    truthF1: result.truthF1,
    sn44: result.sn44,
    provider: result.provider,
    decoder: result.decoder,
    error: result.error,
  };
}

/** The result recorded when an evaluator throws instead of returning a failure. */
export function thrownResult(config: Config, video: VideoRef, err: unknown): ChallengeResult {
  return failedResult(video.url, config, { reason: 'internal', message: messageOf(err) });
}
