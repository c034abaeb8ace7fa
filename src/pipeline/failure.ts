// One table from a challenge's FailureReason to its error code, exit code and default hint. A command
// that reports a failed challenge as its own error uses it (challengeFailure), and an evaluator's
// typed error keeps its reason when it becomes a failed result (failureOf). Exit codes group by what
// to fix: 3 the server or the network, 4 the video, 5 the model, 6 the measured miner or command (it
// is down, did not restart, timed out or exited non-zero), 7 its answer (a validator would reject
// it), 1 anything else.

import { AutotuneError, EXIT_ANSWER, EXIT_DOWNLOAD, EXIT_MINER, EXIT_MODEL, EXIT_VIDEO, isAutotuneError, messageOf, type ErrorCode } from '../errors.js';
import type { ChallengeError, FailureReason } from './types.js';

export { EXIT_ANSWER, EXIT_DOWNLOAD, EXIT_MINER, EXIT_MODEL, EXIT_VIDEO };

interface FailureClass {
  code: ErrorCode;
  exitCode: number;
  /** Used when the failure itself carries no hint. */
  hint: string;
}

export const FAILURES: Readonly<Record<FailureReason, FailureClass>> = {
  connect: { code: 'E_NETWORK', exitCode: EXIT_DOWNLOAD, hint: 'check the host name in the URL, that the server is up and that nothing blocks the port' },
  'http-status': { code: 'E_HTTP_STATUS', exitCode: EXIT_DOWNLOAD, hint: 'check the URL' },
  'no-range': { code: 'E_NO_RANGE', exitCode: EXIT_DOWNLOAD, hint: 'set PARTIAL_DOWNLOAD=0, or serve the video from a server that honours Range' },
  reset: { code: 'E_RESET', exitCode: EXIT_DOWNLOAD, hint: 'the server closed the connection; try again or another server' },
  stall: { code: 'E_STALL', exitCode: EXIT_DOWNLOAD, hint: 'the server or the link stalls; try again or another server' },
  'too-slow': { code: 'E_TOO_SLOW', exitCode: EXIT_DOWNLOAD, hint: 'measure the link with autotune net probe URL, or use another server' },
  'moov-not-in-prefix': {
    code: 'E_MOOV_NOT_IN_PREFIX',
    exitCode: EXIT_VIDEO,
    hint: 'remux the video with faststart (ffmpeg -i in.mp4 -c copy -movflags +faststart out.mp4), or set PARTIAL_DOWNLOAD=0 CHUNKED_STREAMING=0',
  },
  decode: { code: 'E_DECODE', exitCode: EXIT_VIDEO, hint: 'check that the URL serves an H.264/H.265 mp4' },
  'nvdec-unavailable': { code: 'E_NVDEC_UNAVAILABLE', exitCode: EXIT_VIDEO, hint: 'set USE_NVDEC=0, or see autotune doctor for why NVDEC is unavailable' },
  model: { code: 'E_MODEL_LOAD', exitCode: EXIT_MODEL, hint: 'pass a YOLO detector exported to ONNX with --model; `autotune infer CLIP --model FILE` checks one' },
  'miner-down': { code: 'E_MINER_DOWN', exitCode: EXIT_MINER, hint: 'start the miner and check --miner-url' },
  'miner-restart': {
    code: 'E_MINER_RESTART',
    exitCode: EXIT_MINER,
    hint: "see the miner's log lines above (pm2 logs NAME); raise --ready-timeout if it only starts slowly",
  },
  timeout: { code: 'E_TIMEOUT', exitCode: EXIT_MINER, hint: "check the miner's logs; --challenge-timeout measures a slower one anyway" },
  'command-exit': { code: 'E_COMMAND_EXIT', exitCode: EXIT_MINER, hint: 'run the --command by hand with the video URL to see why it fails' },
  'answer-schema': {
    code: 'E_ANSWER_SCHEMA',
    exitCode: EXIT_ANSWER,
    hint: "a validator rejects this reply: check the miner's version against --protocol (sn44 or turbovision)",
  },
  'answer-frames': {
    code: 'E_ANSWER_FRAMES',
    exitCode: EXIT_ANSWER,
    hint: "a validator rejects this answer: check the miner's frame numbering and that its boxes are in original-frame pixels",
  },
  replay: { code: 'E_REPLAY', exitCode: 2, hint: 'the replay table named in the message lacks what was asked (see docs/replay-table.md)' },
  internal: { code: 'E_INTERNAL', exitCode: 1, hint: 'run again with AUTOTUNE_DEBUG=1 and report what it prints' },
};

const REASONS = new Map(Object.entries(FAILURES).map(([reason, failure]) => [failure.code, reason as FailureReason]));

/** The context flag of a typed error with which an evaluator stops the study instead of failing one challenge. */
export const STOPS_STUDY = 'stopsStudy';

/** Whether an evaluator's error ends the study (the runner rethrows it) rather than one challenge: its own flag, or the store failing. */
export function stopsStudy(err: unknown): boolean {
  // A store that fails cannot keep what is measured: going on would measure for nothing.
  return isAutotuneError(err) && (err.context[STOPS_STUDY] === true || err.code === 'E_STORE' || err.code === 'E_STORE_LOCKED');
}

/** The failure a thrown error stands for: a typed error of the table keeps its reason (and hint), anything else is 'internal'. */
export function failureOf(err: unknown): ChallengeError {
  if (!isAutotuneError(err)) return { reason: 'internal', message: messageOf(err) };
  return { reason: REASONS.get(err.code) ?? 'internal', message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
}

/**
 * A failed challenge as the one-line error of the command that ran it: `<prefix> (<reason>): <message>`,
 * the table's code and exit code, and the failure's own hint or the table's.
 */
export function challengeFailure(error: ChallengeError, prefix = 'the challenge failed'): AutotuneError {
  const failure = FAILURES[error.reason];
  return new AutotuneError(failure.code, `${prefix} (${error.reason}): ${error.message}`, {
    hint: error.hint ?? failure.hint,
    exitCode: failure.exitCode,
    context: { reason: error.reason },
  });
}
