// Building ChallengeResults: a failure before any stage, a result from the figures an evaluator knows,
// and the figures alone (what gets stored).
import type { ChallengeError, ChallengeFigures, ChallengeResult, Config, Timeline } from './types.js';

/** Fields of a result an evaluator sets; the timeline may be given in part. */
export type ResultFields = Partial<Omit<ChallengeResult, 'url' | 'config' | 'timeline'>> & { timeline?: Partial<Timeline> };

/**
 * A result with the given fields, the rest empty (no stage reached, nothing answered, no error): for
 * evaluators that know only some figures (stand-ins in tests and benchmarks, replays of a table).
 */
export function challengeResult(url: string, config: Config, fields: ResultFields = {}): ChallengeResult {
  const { timeline, ...rest } = fields;
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
      ...timeline,
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
    error: null,
    ...rest,
  };
}

/** A challenge that failed before any stage was reached: nothing measured, nothing answered. */
export function failedResult(url: string, config: Config, error: ChallengeError): ChallengeResult {
  return challengeResult(url, config, { error });
}

/** The figures of a result, and nothing else (a ChallengeDetail's extra fields are left out too). */
export function challengeFigures(r: ChallengeResult): ChallengeFigures {
  return {
    timeline: r.timeline,
    bytes: r.bytes,
    protocol: r.protocol,
    framesDecoded: r.framesDecoded,
    framesAnswered: r.framesAnswered,
    framesInVideo: r.framesInVideo,
    provider: r.provider,
    decoder: r.decoder,
    accuracy: r.accuracy,
    coverage: r.coverage,
    truthF1: r.truthF1,
    sn44: r.sn44,
    error: r.error,
    setupS: r.setupS ?? null,
    answerHash: r.answerHash ?? null,
  };
}
