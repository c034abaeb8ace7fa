// The options several commands share (--study, --storage/--db, --ca, --model, --t-min,
// --accuracy-floor), declared and checked once: every command spells, defaults and validates them the
// same way.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { AutotuneError } from '../errors.js';
import { DEFAULT_MODEL_PATH } from '../lab/model/path.js';
import { DEFAULT_T_MIN_S, SPEED_LIMIT_S } from '../score/sn44.js';
import { DEFAULT_DB_PATH, isPostgresUrl, parseLocation, redact } from '../store/index.js';
import type { RepeatPolicy } from '../study/policy.js';
import { givenValue } from './output.js';

/** --study of the commands that read a study. */
export const studyOption = { type: 'string', describe: 'study name (default: the only study in the file)' } as const;
/** --storage URL and its SQLite shorthand --db FILE, on every command that reads or writes results; see storageLocation. */
export const storageOptions = {
  storage: { type: 'string', describe: 'results store: postgres://user@host:port/database (a fleet shares one), or a SQLite file' },
  db: { type: 'string', describe: `results database file (SQLite; short for --storage FILE) [default: ${DEFAULT_DB_PATH}]` },
} as const;

export interface StorageArgs {
  storage?: string;
  db?: string;
}

/** --storage / --db -> where the results are (a postgres:// URL or a SQLite file); E_USAGE for both or a bad URL. */
export function storageLocation(args: StorageArgs): string {
  if (args.storage !== undefined && args.db !== undefined) {
    throw new AutotuneError('E_USAGE', 'use --storage or --db, not both', { hint: '--db FILE is short for --storage FILE' });
  }
  const option = args.storage !== undefined ? '--storage' : '--db';
  const location = args.storage ?? args.db ?? DEFAULT_DB_PATH;
  parseLocation(location, option);
  return location;
}

/** The option that names this store again on a command line: `--db FILE` or `--storage URL` (without its password). */
export function storageFlag(location: string): string {
  return isPostgresUrl(location) ? `--storage ${redact(location)}` : `--db ${location}`;
}
export const caOption = { type: 'string', describe: "PEM file of a CA to trust (e.g. the lab server's self-signed certificate)" } as const;
export const modelOption = { type: 'string', default: DEFAULT_MODEL_PATH, describe: 'ONNX detection model' } as const;
export const tMinOption = {
  type: 'number',
  default: DEFAULT_T_MIN_S,
  describe: "SN44 estimate: the fastest valid answer of the validator's batch, seconds",
} as const;
export const accuracyFloorOption = { type: 'number', default: 0.98, describe: "minimum F1 against the reference's answers" } as const;

/** --ca PATH -> its PEM text (E_INPUT when unreadable); undefined without --ca. */
export function readCa(path: string | undefined): { file: string; pem: string } | undefined {
  if (path === undefined) return undefined;
  try {
    return { file: path, pem: readFileSync(path, 'utf8') };
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot read --ca ${path}: ${(err as Error).message}`, { hint: 'pass a PEM certificate file' });
  }
}

/** --model must name an existing file (E_NOT_FOUND), not a folder (E_INPUT). */
export function checkModel(path: string): string {
  if (!existsSync(path)) {
    throw new AutotuneError('E_NOT_FOUND', `model ${path} does not exist`, {
      hint: 'make the lab model with `autotune model make`, or pass --model with an ONNX detection model',
    });
  }
  if (statSync(path).isDirectory()) {
    throw new AutotuneError('E_INPUT', `--model ${path} is a folder, not an ONNX file`, { hint: 'pass the .onnx file itself, e.g. --model yolo/best.onnx' });
  }
  return path;
}

/** --t-min: a time the fastest miner can take, above 0 and below the validator's 15 s speed limit. */
export function checkTMin(value: number): number {
  if (!(value > 0 && value < SPEED_LIMIT_S)) {
    throw new AutotuneError('E_USAGE', `--t-min must be greater than 0 and less than ${SPEED_LIMIT_S} seconds, got ${givenValue(value)}`, { hint: 'e.g. 2' });
  }
  return value;
}

/** --accuracy-floor: a share of the reference's F1, in (0, 1]. */
export function checkAccuracyFloor(value: number): number {
  if (!(value > 0 && value <= 1)) {
    throw new AutotuneError('E_USAGE', `--accuracy-floor must be in (0, 1], got ${givenValue(value)}`, { hint: 'e.g. 0.98' });
  }
  return value;
}

/** --repeats N, or auto with the most repeats `maxRepeats`. */
export function parseRepeats(repeats: string | number, maxRepeats: number): RepeatPolicy {
  if (String(repeats).trim() === 'auto') return { kind: 'auto', maxRepeats };
  const n = Number(repeats);
  if (!Number.isInteger(n) || n < 1) {
    throw new AutotuneError('E_USAGE', `--repeats must be an integer >= 1 or auto, got ${givenValue(repeats)}`, {
      hint: 'e.g. --repeats 3, or --repeats auto --max-repeats 5',
    });
  }
  return { kind: 'fixed', repeats: n };
}
