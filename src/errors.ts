// Typed errors with a stable code, a message that names the input, and a hint that says what to do.
// The CLI prints `autotune: <message> (<hint>)` and exits with `exitCode`.

export type ErrorCode =
  | 'E_USAGE' // bad command line
  | 'E_INPUT' // unreadable or invalid input file / value
  | 'E_NOT_FOUND'
  | 'E_PORT_IN_USE'
  | 'E_FFMPEG'
  | 'E_FFMPEG_MISSING'
  | 'E_FFMPEG_BROKEN' // the ffmpeg found cannot run, or runs but cannot decode H.264
  | 'E_NVDEC_UNAVAILABLE'
  | 'E_MODEL_LAYOUT'
  | 'E_MODEL_LOAD'
  | 'E_MODEL_CHECK' // the model's answer is not a detector's: a study would rank garbage
  | 'E_PROVIDER'
  | 'E_SPACE_INVALID'
  | 'E_STORE'
  | 'E_STORE_LOCKED'
  | 'E_STUDY'
  | 'E_NETWORK' // a host that cannot be resolved, reached or handshaken with
  | 'E_HTTP_STATUS'
  | 'E_NO_RANGE'
  | 'E_MOOV_NOT_IN_PREFIX'
  | 'E_STALL'
  | 'E_TOO_SLOW' // a download that cannot finish within the challenge's timeout at its measured rate
  | 'E_RESET'
  | 'E_DECODE'
  | 'E_PM2'
  | 'E_PM2_RESTART'
  | 'E_MINER' // a running miner that cannot be measured (not answering, driven by another study)
  | 'E_MINER_DOWN' // the miner refused or dropped a challenge's connection
  | 'E_MINER_RESTART' // the miner did not come back ready with a config's values
  | 'E_TIMEOUT' // no complete reply within the challenge's timeout (the miner's or the command's)
  | 'E_COMMAND_EXIT' // the per-challenge command exited non-zero
  | 'E_ANSWER_SCHEMA' // a reply that is not the protocol's JSON
  | 'E_ANSWER_FRAMES' // an answer that does not fit the video (frames past its end, boxes outside the frame)
  | 'E_REPLAY' // a replay table lacks the config (or video) a study asked for
  | 'E_ENV_FILE'
  | 'E_SYSCTL'
  | 'E_INTERRUPTED' // stopped by Ctrl-C; what finished is kept
  | 'E_INTERNAL';

export interface ErrorDetails {
  hint?: string;
  context?: Record<string, unknown>;
  cause?: unknown;
  exitCode?: number;
}

// Exit codes group by what to fix (README: exit codes): 2 the command line or an input file, 3 the
// server or the network, 4 the video or the decoder, 5 the model, 6 the measured miner or command,
// 7 its answer (a validator would reject it), 8 a study that ended with no usable config, 130 Ctrl-C,
// 1 anything else.
export const EXIT_DOWNLOAD = 3;
export const EXIT_VIDEO = 4;
export const EXIT_MODEL = 5;
export const EXIT_MINER = 6;
export const EXIT_ANSWER = 7;
/** A study that ran to its end and found no config to recommend: a result, not a crash. */
export const EXIT_NO_USABLE_CONFIG = 8;
/** The results store (a database file, a PostgreSQL server) cannot be opened, reached or written. */
export const EXIT_STORE = 9;

const DEFAULT_EXIT: Partial<Record<ErrorCode, number>> = {
  E_USAGE: 2,
  E_INPUT: 2,
  E_SPACE_INVALID: 2,
  E_ENV_FILE: 2,
  E_REPLAY: 2,
  // A file, folder, database, study or trial named on the command line that does not exist.
  E_NOT_FOUND: 2,
  // A study named on the command line that cannot be used as asked (other settings, nothing to emit).
  E_STUDY: 2,
  E_FFMPEG_MISSING: EXIT_VIDEO,
  E_FFMPEG_BROKEN: EXIT_VIDEO,
  E_MODEL_LAYOUT: EXIT_MODEL,
  E_MODEL_LOAD: EXIT_MODEL,
  E_MODEL_CHECK: EXIT_MODEL,
  E_MINER: EXIT_MINER,
  E_MINER_DOWN: EXIT_MINER,
  E_MINER_RESTART: EXIT_MINER,
  // pm2 missing, no daemon of this user, no such process: the miner cannot be driven.
  E_PM2: EXIT_MINER,
  E_COMMAND_EXIT: EXIT_MINER,
  E_ANSWER_SCHEMA: EXIT_ANSWER,
  E_ANSWER_FRAMES: EXIT_ANSWER,
  E_STORE: EXIT_STORE,
  E_STORE_LOCKED: EXIT_STORE,
  E_INTERRUPTED: 130,
};

/** The exit code a command ends with for this code (1 unless the table above says otherwise). */
export function exitCodeOf(code: ErrorCode): number {
  return DEFAULT_EXIT[code] ?? 1;
}

export class AutotuneError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly context: Record<string, unknown>;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AutotuneError';
    this.code = code;
    this.hint = details.hint;
    this.context = details.context ?? {};
    this.exitCode = details.exitCode ?? exitCodeOf(code);
  }

  /** One line for a terminal: the message, then what to do. */
  toLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export function isAutotuneError(err: unknown, code?: ErrorCode): err is AutotuneError {
  return err instanceof AutotuneError && (code === undefined || err.code === code);
}

/** The message of anything thrown, without a stack. */
export function messageOf(err: unknown): string {
  if (err instanceof AutotuneError) return err.toLine();
  if (err instanceof Error) return err.message;
  return String(err);
}
