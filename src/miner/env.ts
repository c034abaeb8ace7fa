// The miner's .env during a study: read once as found, rewritten per config with the apply machinery
// (the editor that keeps every other line byte for byte, the strict check of tuned variables, the
// atomic write), and put back byte for byte at the end. A symlinked .env is written through: the link
// stays, its target changes.

import { copyFile, rm } from 'node:fs/promises';
import { restoreEnv, writeAtomically } from '../apply/apply.js';
import { envValues, parseEditableEnv, setEnvValues, type EditableEnv } from '../apply/env-editor.js';
import { stampedName } from '../apply/manifest.js';
import { envPathOf, envTarget, readOptional } from '../apply/miner-dir.js';
import { parseTunedEnv, type TunedValue } from '../apply/tuned-env.js';
import type { Config, KnobValue } from '../pipeline/types.js';

export interface MinerEnvSnapshot {
  minerDir: string;
  /** minerDir/.env, and the file it resolves to (itself unless it is a symlink). */
  path: string;
  target: string;
  /** The bytes as found; null when there was no .env. */
  bytes: string | null;
  values: Record<string, string>;
  editable: EditableEnv;
}

/** Reads the .env as found; E_ENV_FILE when it has lines the editor cannot keep intact. */
export async function snapshotMinerEnv(minerDir: string): Promise<MinerEnvSnapshot> {
  const path = envPathOf(minerDir);
  // Where apply writes too: through a link (one that points nowhere is refused before anything changes).
  const target = envTarget(path).path;
  const bytes = await readOptional(path);
  const editable = parseEditableEnv(bytes ?? '', path);
  return { minerDir, path, target, bytes, values: envValues(editable), editable };
}

/** A config as tuned variables, through the one check every tuned .env line passes (names, plain values). */
export function tunedValuesOf(config: Config, source: string): TunedValue[] {
  const text = Object.entries(config)
    .map(([key, value]) => `${key}=${envText(value)}`)
    .join('\n');
  return parseTunedEnv(text, source);
}

export function envText(value: KnobValue): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

/** Writes the .env as found with `values` set (every other line kept). */
export async function writeEnvWith(snapshot: MinerEnvSnapshot, values: TunedValue[], note: string): Promise<void> {
  await writeAtomically(snapshot.target, setEnvValues(snapshot.editable, values, note));
}

/** A copy of the .env as found, next to it (null when there is no .env). */
export async function backupEnv(snapshot: MinerEnvSnapshot, now: Date): Promise<string | null> {
  if (snapshot.bytes === null) return null;
  const backup = stampedName(snapshot.minerDir, '.env.autotune-study-backup', now);
  await copyFile(snapshot.path, backup);
  return backup;
}

/** Puts the .env back byte for byte (through a symlink), or removes it when there was none. */
export async function restoreEnvFile(path: string, backup: string | null): Promise<void> {
  await restoreEnv(path, backup === null ? null : '', backup);
}

export async function removeBackup(backup: string | null): Promise<void> {
  if (backup) await rm(backup, { force: true });
}
