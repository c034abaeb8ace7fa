// The recovery manifest a study keeps in the miner's folder while it drives the miner: where the
// .env as found was copied, how the miner is restarted and with which values. The study removes it
// once the miner is back as it was; after a crash or kill -9 the next `autotune run` (or `autotune
// apply --rollback`) finds it and restores the miner first.

import { existsSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { removeLeftoverTemp } from '../apply/apply.js';
import { AutotuneError } from '../errors.js';
import { removeBackup, restoreEnvFile } from './env.js';
import { RESTORE_TIMEOUT_S, restartUntilReady } from './ready.js';
import { restarterFor, type RestartSpec } from './restart/index.js';
import { processRuns } from '../util/process.js';

export const RECOVERY_NAME = '.autotune-study.json';

export interface Recovery {
  version: 1;
  pid: number;
  host: string;
  startedAt: string;
  minerUrl: string;
  env: { path: string; backup: string | null };
  restart: RestartSpec;
  /** The values the miner is restarted with to run as it was found. */
  restore: Record<string, string>;
  /** Knobs the miner did not have before the study (absent in older manifests). */
  unset?: string[];
}

export function recoveryPath(minerDir: string): string {
  return join(minerDir, RECOVERY_NAME);
}

export function readRecovery(minerDir: string): Recovery | null {
  const path = recoveryPath(minerDir);
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Recovery;
    if (parsed.version !== 1 || !parsed.env || !parsed.restart) throw new Error('unknown manifest version');
    return parsed;
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot read the study's recovery manifest ${path}: ${(err as Error).message}`, {
      hint: 'restore the .env from its .env.autotune-study-backup-* copy by hand, restart the miner, then remove the manifest',
    });
  }
}

export async function writeRecovery(minerDir: string, recovery: Omit<Recovery, 'version' | 'pid' | 'host'>): Promise<void> {
  const path = recoveryPath(minerDir);
  const full: Recovery = { version: 1, pid: process.pid, host: hostname(), ...recovery };
  await writeFile(`${path}.tmp`, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

export async function removeRecovery(minerDir: string): Promise<void> {
  await rm(recoveryPath(minerDir), { force: true });
}

export interface RecoverOptions {
  readyTimeoutS: number;
  log: (line: string) => void;
}

/**
 * Restores a miner that a study left changed (it crashed or was killed): the .env from its copy, the
 * miner restarted with the values it ran with. Returns false when there is nothing to restore;
 * E_MINER when the study that wrote the manifest is still running.
 */
export async function recoverMiner(minerDir: string, o: RecoverOptions): Promise<boolean> {
  const recovery = readRecovery(minerDir);
  if (!recovery) return false;
  if (recovery.pid !== process.pid && isAlive(recovery)) {
    throw new AutotuneError('E_MINER', `another autotune study (pid ${recovery.pid}) is driving the miner in ${minerDir}`, {
      hint: 'wait for it to finish, or stop it (Ctrl-C) and it restores the miner',
    });
  }
  o.log(`restoring the miner in ${minerDir}: a study started ${recovery.startedAt} (pid ${recovery.pid}) did not finish`);
  await restoreEnvFile(recovery.env.path, recovery.env.backup);
  // Killed while it wrote the .env, the study left its temp file beside it.
  await removeLeftoverTemp(recovery.env.path, recovery.pid);
  o.log(recovery.env.backup ? `restored ${recovery.env.path} from ${recovery.env.backup}` : `removed ${recovery.env.path} (there was none before the study)`);
  // Restarted the way the study that wrote the manifest restarted it.
  const restarter = restarterFor(recovery.restart);
  try {
    await restartUntilReady(restarter, recovery.restore, { minerUrl: recovery.minerUrl, readyTimeoutS: Math.max(o.readyTimeoutS, RESTORE_TIMEOUT_S), afterFailure: true });
  } finally {
    await restarter.close();
  }
  o.log(`restarted the miner (${restarter.label}) with the values it ran with before the study`);
  const stale = unsetNote(recovery.restart, recovery.unset ?? []);
  if (stale) o.log(stale);
  await removeBackup(recovery.env.backup);
  await removeRecovery(minerDir);
  return true;
}

/**
 * What a pm2 process keeps after a restore: pm2 restart --update-env merges into the stored
 * environment, so a knob the miner did not have before the study keeps the last trial's value.
 */
export function unsetNote(restart: RestartSpec, unset: readonly string[]): string | null {
  if (restart.kind !== 'pm2' || unset.length === 0) return null;
  return (
    `note: pm2 process ${restart.name} had no ${unset.join(', ')} before the study and still carries the last trial's (pm2 restart --update-env cannot unset variables); ` +
    `to drop them: pm2 delete ${restart.name}, then start it again from its ecosystem file or start command`
  );
}

function isAlive(r: Recovery): boolean {
  if (r.host !== hostname()) return true; // another host's process cannot be checked: assume it runs
  return processRuns(r.pid);
}
