import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutotuneError } from '../errors.js';

/** The miner directory, checked to exist; E_NOT_FOUND otherwise. */
export function checkMinerDir(dir: string): string {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new AutotuneError('E_NOT_FOUND', `miner directory ${dir} does not exist or is not a directory; nothing was changed`, {
      hint: 'pass the folder that holds the miner and its .env with --miner-dir',
    });
  }
  return dir;
}

export function envPathOf(minerDir: string): string {
  return join(minerDir, '.env');
}

/** The .env bytes, or null when there is none. */
export async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AutotuneError('E_ENV_FILE', `cannot read ${path}: ${(err as Error).message}; nothing was changed`, { cause: err });
  }
}

export interface EnvTarget {
  /** The file to write: .env itself, or the file its link points to. */
  path: string;
  /** The link's text when .env is a symbolic link (kept, and restored by --rollback), else null. */
  link: string | null;
}

/** Where writing .env lands. A link that points nowhere, or at something not a file, is refused. */
export function envTarget(envPath: string): EnvTarget {
  let isLink = false;
  try {
    isLink = lstatSync(envPath).isSymbolicLink();
  } catch {
    return { path: envPath, link: null };
  }
  if (!isLink) return { path: envPath, link: null };
  const link = readlinkSync(envPath);
  let path: string;
  try {
    path = realpathSync(envPath);
  } catch {
    throw new AutotuneError('E_ENV_FILE', `${envPath} is a link to ${link}, which does not exist; nothing was changed`, {
      hint: "point the link at the miner's env file, or remove it so apply creates .env",
      context: { path: envPath, link },
    });
  }
  if (!statSync(path).isFile()) {
    throw new AutotuneError('E_ENV_FILE', `${envPath} is a link to ${path}, which is not a file; nothing was changed`, {
      hint: "point the link at the miner's env file",
      context: { path: envPath, link },
    });
  }
  return { path, link };
}

const WRITE_PROBLEMS: Record<string, { what: string; hint: string }> = {
  EROFS: { what: 'the file system is read-only', hint: "remount it read-write (or apply on a writable copy of the miner's folder), then run apply again" },
  EACCES: { what: 'permission denied', hint: "run apply as the user who owns the miner's folder" },
  EPERM: { what: 'operation not permitted', hint: "run apply as the user who owns the miner's folder, and check the files are not immutable (lsattr)" },
  ENOSPC: { what: 'no space left on the device', hint: 'free some space, then run apply again' },
  EDQUOT: { what: 'disk quota exceeded', hint: 'free some space, then run apply again' },
};

/** A failed write in the miner's folder as one line naming the file, what happened and what to do. */
export function writeProblem(err: unknown, outcome: string): AutotuneError {
  const e = err as NodeJS.ErrnoException;
  const known = e.code ? WRITE_PROBLEMS[e.code] : undefined;
  // A failed copy names its destination apart (`dest`); that is the file that could not be written.
  const path = (e as { dest?: string }).dest ?? e.path ?? 'a file';
  return new AutotuneError('E_INPUT', `cannot write ${path}: ${known?.what ?? e.message}${e.code ? ` (${e.code})` : ''}; ${outcome}`, {
    hint: known?.hint ?? "check that the miner's folder is writable",
    cause: err,
  });
}
