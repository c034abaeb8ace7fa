import { statSync } from 'node:fs';
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
