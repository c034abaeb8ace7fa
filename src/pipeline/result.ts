import type { ChallengeError, ChallengeResult, Config } from './types.js';

/** A challenge that failed before any stage was reached: nothing measured, nothing answered. */
export function failedResult(url: string, config: Config, error: ChallengeError): ChallengeResult {
  return {
    url,
    config,
    timeline: {
      connected: null,
      firstByte: null,
      downloadEnd: null,
      decoderStart: null,
      firstFrame: null,
      firstBatch: null,
      lastFrame: null,
      total: null,
    },
    bytes: 0,
    protocol: null,
    framesDecoded: 0,
    framesAnswered: 0,
    framesInVideo: null,
    provider: null,
    decoder: null,
    answer: [],
    accuracy: null,
    coverage: null,
    truthF1: null,
    sn44: null,
    error,
  };
}
