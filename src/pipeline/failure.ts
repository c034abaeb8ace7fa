// One table between a challenge's failure reasons and the error codes: a command that reports a
// failed challenge as its own error uses the code, and an evaluator's typed error keeps its reason
// when it becomes a failed result.

import { AutotuneError, isAutotuneError, messageOf, type ErrorCode } from '../errors.js';
import type { ChallengeError, FailureReason } from './types.js';

export const FAILURE_CODES: Readonly<Record<FailureReason, ErrorCode>> = {
  'moov-not-in-prefix': 'E_MOOV_NOT_IN_PREFIX',
  stall: 'E_STALL',
  reset: 'E_RESET',
  'http-status': 'E_HTTP_STATUS',
  'no-range': 'E_NO_RANGE',
  decode: 'E_DECODE',
  'nvdec-unavailable': 'E_NVDEC_UNAVAILABLE',
  model: 'E_MODEL_LOAD',
  connect: 'E_NETWORK',
  internal: 'E_INTERNAL',
};

const REASONS = new Map(Object.entries(FAILURE_CODES).map(([reason, code]) => [code, reason as FailureReason]));

/** The failure a thrown error stands for: a typed error of the table keeps its reason, anything else is 'internal'. */
export function failureOf(err: unknown): ChallengeError {
  const reason = isAutotuneError(err) ? REASONS.get(err.code) : undefined;
  return { reason: reason ?? 'internal', message: isAutotuneError(err) ? err.message : messageOf(err) };
}

/** A failed challenge as the typed error of a command that ran it, naming what it ran on. */
export function failureError(error: ChallengeError, subject: string): AutotuneError {
  return new AutotuneError(FAILURE_CODES[error.reason], `${subject}: ${error.message}`, { context: { reason: error.reason } });
}
