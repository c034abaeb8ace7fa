// What each `autotune apply` did, kept next to the miner's .env so `--rollback` can undo the last one.
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutotuneError } from '../errors.js';

export interface ApplyRecord {
  at: string;
  env: {
    path: string;
    /** Copy of .env taken before the change; null when there was no .env (rollback removes it). */
    backup: string | null;
    /** The text of the link .env was (apply wrote through it); rollback puts the link back if it is gone. Absent in older records. */
    link?: string | null;
  };
  sysctl: {
    installed: string;
    /** Copy of the file that was at `installed` before; null when there was none. */
    backup: string | null;
    /** Kernel values of the file's keys before it was loaded; null entries were unreadable. */
    previous: Array<{ key: string; value: string | null }>;
    loaded: boolean;
  } | null;
  pm2: string | null;
}

interface Manifest {
  version: 1;
  applies: ApplyRecord[];
}

export const MANIFEST_NAME = '.autotune-apply.json';

export function manifestPath(minerDir: string): string {
  return join(minerDir, MANIFEST_NAME);
}

export function readRecords(minerDir: string): ApplyRecord[] {
  const path = manifestPath(minerDir);
  if (!existsSync(path)) return [];
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    if (manifest.version !== 1 || !Array.isArray(manifest.applies)) throw new Error('unknown manifest version');
    return manifest.applies;
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot read the apply manifest ${path}: ${(err as Error).message}`, {
      hint: 'restore the .env backups (.env.autotune-backup-*) by hand or remove the manifest',
      cause: err,
    });
  }
}

export async function writeRecords(minerDir: string, applies: ApplyRecord[]): Promise<void> {
  const path = manifestPath(minerDir);
  const manifest: Manifest = { version: 1, applies };
  await writeFile(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** A file name that does not exist yet: BASE-YYYYMMDDTHHMMSS[-n]SUFFIX. */
export function stampedName(dir: string, base: string, now: Date, suffix = ''): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  for (let n = 1; ; n += 1) {
    const candidate = join(dir, `${base}-${stamp}${n === 1 ? '' : `-${n}`}${suffix}`);
    if (!existsSync(candidate)) return candidate;
  }
}
