// ChallengeResult -> stored measurement; an evaluator that throws still yields a failed result.

import { failureOf } from '../pipeline/failure.js';
import { challengeFigures, failedResult } from '../pipeline/result.js';
import type { ChallengeResult, Config, VideoRef } from '../pipeline/types.js';
import type { NewMeasurement, Phase } from '../store/types.js';

export function measurementOf(result: ChallengeResult, repeat: number, phase: Phase): NewMeasurement {
  return { videoUrl: result.url, repeat, phase, ...challengeFigures(result) };
}

/** The result recorded when an evaluator throws instead of returning a failure (see failureOf). */
export function thrownResult(config: Config, video: VideoRef, err: unknown): ChallengeResult {
  return failedResult(video.url, config, failureOf(err));
}
