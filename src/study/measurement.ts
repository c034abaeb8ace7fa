// ChallengeResult -> stored measurement; an evaluator that throws still yields a failed result.

import { challengeFigures, failedResult } from '../pipeline/result.js';
import type { ChallengeResult, Config, VideoRef } from '../pipeline/types.js';
import type { NewMeasurement, Phase } from '../store/types.js';
import { messageOf } from '../errors.js';

export function measurementOf(result: ChallengeResult, repeat: number, phase: Phase): NewMeasurement {
  return { videoUrl: result.url, repeat, phase, ...challengeFigures(result) };
}

/** The result recorded when an evaluator throws instead of returning a failure. */
export function thrownResult(config: Config, video: VideoRef, err: unknown): ChallengeResult {
  return failedResult(video.url, config, { reason: 'internal', message: messageOf(err) });
}
