// `autotune apply`: merge the tuned values into the miner's .env (backup first), optionally restart it
// under pm2 and check it came up with them, optionally install the sysctl file. Every check that can
// refuse runs before anything is written; a failed restart puts the old .env back and restarts again.
import { chmod, copyFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { accessSync, constants, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { workerHost } from '../store/worker.js';
import { AutotuneError, messageOf } from '../errors.js';
import { envValues, parseEditableEnv, setEnvValues } from './env-editor.js';
import { checkTunedKnobs, type KnobRules } from './knobs.js';
import { manifestPath, readRecords, stampedName, writeRecords, type ApplyRecord } from './manifest.js';
import { checkMinerDir, envPathOf, envTarget, readOptional, writeProblem } from './miner-dir.js';
import { findPm2Process, pm2Restart, pm2Stop, resolvePm2, waitOnline, type WaitOptions } from './pm2.js';
import {
  currentSysctl,
  installedSysctlPath,
  isRoot,
  loadSysctlFile,
  parseSysctlConf,
  sudoCommands,
  writeSysctlValues,
} from './sysctl-install.js';
import { readTunedEnv } from './tuned-env.js';
import { makeDirs } from '../util/fs.js';

export interface ApplyOptions {
  minerDir: string;
  envFile: string;
  /** The knobs apply may write: a space's, checked against its ranges, plus keys named explicitly. */
  knobs: KnobRules;
  pm2: string | null;
  sysctlFile: string | null;
  sysctlDir: string;
  yes: boolean;
  log: (line: string) => void;
  now?: Date;
  root?: boolean;
  wait?: WaitOptions;
}

export interface ApplyOutcome {
  dryRun: boolean;
  diff: string;
  backup: string | null;
  record: ApplyRecord | null;
}

export async function applyTuned(o: ApplyOptions): Promise<ApplyOutcome> {
  const now = o.now ?? new Date();
  const root = o.root ?? isRoot();
  checkMinerDir(o.minerDir);
  const tunedFile = await readTunedEnv(o.envFile);
  const here = workerHost();
  if (tunedFile.host !== null && tunedFile.host !== here) {
    o.log(
      `warning: ${o.envFile} was tuned on host ${tunedFile.host}, and this is ${here}: its figures are that host's (another GPU, CPU or link ranks configs differently); tune this host with autotune run, or apply it knowingly`,
    );
  }
  const tuned = tunedFile.values;
  checkTunedKnobs(tuned, o.knobs, o.envFile, tunedFile.spaceFile);
  const envPath = envPathOf(o.minerDir);
  // A linked .env is written through its link: the link stays, the file it points to changes.
  const target = envTarget(envPath);
  const before = await readOptional(envPath);
  const editable = parseEditableEnv(before ?? '', envPath);
  const sysctlText = o.sysctlFile ? await readOptional(o.sysctlFile) : null;
  if (o.sysctlFile && sysctlText === null) {
    throw new AutotuneError('E_SYSCTL', `sysctl file ${o.sysctlFile} does not exist; nothing was changed`, { hint: 'pass the sysctl.conf written by autotune emit' });
  }
  const sysctlSettings = o.sysctlFile ? parseSysctlConf(sysctlText!, o.sysctlFile) : [];
  const pm2 = o.pm2 ? { bin: resolvePm2(), name: o.pm2 } : null;
  if (pm2) await findPm2Process(pm2.bin, pm2.name);

  const after = setEnvValues(editable, tuned, `added by autotune apply from ${basename(o.envFile)} at ${now.toISOString()}`);
  const diff = after === (before ?? '') ? '' : createTwoFilesPatch(`${envPath}${before === null ? ' (new)' : ''}`, envPath, before ?? '', after, 'before', 'after');
  o.log(diff === '' ? `${envPath} already carries the tuned values` : diff.trimEnd());
  const sysctlTarget = o.sysctlFile ? installedSysctlPath(o.sysctlDir) : null;

  if (target.link !== null) o.log(`${envPath} is a link to ${target.path}: apply writes through it and keeps the link`);

  if (!o.yes) {
    o.log('dry run: nothing was changed. With --yes apply would:');
    if (diff !== '') o.log(`  - back up ${envPath} and write the change above`);
    if (pm2) o.log(`  - pm2 restart ${pm2.name} --update-env and check it runs with the new values`);
    if (sysctlTarget) o.log(`  - install ${o.sysctlFile} as ${sysctlTarget} and ${root ? 'load it (sysctl -p)' : 'print the sudo commands to load it'}`);
    return { dryRun: true, diff, backup: null, record: null };
  }

  const backup = before === null ? null : stampedName(o.minerDir, '.env.autotune-backup', now);
  const record: ApplyRecord = { at: now.toISOString(), env: { path: envPath, backup, link: target.link }, sysctl: null, pm2: pm2?.name ?? null };
  const records = readRecords(o.minerDir);
  const hadManifest = existsSync(manifestPath(o.minerDir));
  // Nothing is left half-done: a write that fails (read-only folder, no space) undoes the ones before it.
  try {
    if (backup) await copyFile(envPath, backup);
    await writeRecords(o.minerDir, [...records, record]);
    await writeAtomically(target.path, after);
  } catch (err) {
    if (backup) await rm(backup, { force: true }).catch(() => {});
    await (hadManifest ? writeRecords(o.minerDir, records) : rm(manifestPath(o.minerDir), { force: true })).catch(() => {});
    throw writeProblem(err, 'nothing was changed');
  }
  o.log(backup ? `wrote ${target.path} (backup ${backup})` : `created ${envPath}`);

  if (pm2) {
    const newValues = envValues(parseEditableEnv(after, envPath));
    const expected = Object.fromEntries(tuned.map((t) => [t.key, t.value]));
    try {
      await pm2Restart(pm2.bin, pm2.name, newValues);
      const proc = await waitOnline(pm2.bin, pm2.name, expected, o.wait);
      o.log(`pm2: ${pm2.name} is online (pid ${proc.pid}) with the new values`);
    } catch (err) {
      await restoreEnv(target.path, before, backup);
      await writeRecords(o.minerDir, records);
      const oldValues = envValues(editable);
      const oldExpected = Object.fromEntries(tuned.filter((t) => t.key in oldValues).map((t) => [t.key, oldValues[t.key]!]));
      let again: string;
      try {
        // A process that crashes with the tuned values may be in pm2's respawn loop, and pm2 refuses a
        // restart while it respawns ("Process with pid N already exists"): stop it first.
        await pm2Stop(pm2.bin, pm2.name);
        await pm2Restart(pm2.bin, pm2.name, oldValues);
        await waitOnline(pm2.bin, pm2.name, oldExpected, o.wait);
        again = `restarted ${pm2.name} with the previous values`;
      } catch (err2) {
        again = `restarting ${pm2.name} with the previous values failed too (${messageOf(err2)})`;
      }
      throw new AutotuneError('E_PM2_RESTART', `${messageOf(err)}; restored ${envPath}${backup ? ` from ${backup}` : ' (removed: there was none before)'} and ${again}`, {
        hint: 'check the process logs (pm2 logs NAME) for why it failed with the tuned values',
        exitCode: 1,
      });
    }
  }

  if (sysctlTarget) {
    record.sysctl = await installSysctl(o, sysctlTarget, sysctlSettings, root, now);
    await writeRecords(o.minerDir, [...records, record]);
  }
  return { dryRun: false, diff, backup, record };
}

async function installSysctl(
  o: ApplyOptions,
  target: string,
  settings: ReturnType<typeof parseSysctlConf>,
  root: boolean,
  now: Date,
): Promise<NonNullable<ApplyRecord['sysctl']>> {
  const previous = settings.map((s) => ({ key: s.key, value: currentSysctl(s.key) }));
  let backup: string | null = null;
  if (existsSync(target)) {
    backup = stampedName(o.minerDir, '.sysctl.autotune-backup', now, '.conf');
    await copyFile(target, backup);
  }
  if (!root && !canWrite(target)) {
    o.log(`sysctl: not running as root; to install and load ${o.sysctlFile} run:`);
    for (const command of sudoCommands(o.sysctlFile!, target)) o.log(`  ${command}`);
    return { installed: target, backup, previous, loaded: false };
  }
  makeDirs(dirname(target), 'the sysctl folder');
  await copyFile(o.sysctlFile!, target);
  await chmod(target, 0o644);
  if (!root) {
    o.log(`sysctl: installed ${target}; load it as root with: sudo sysctl -p '${target}'`);
    return { installed: target, backup, previous, loaded: false };
  }
  try {
    await loadSysctlFile(target);
  } catch (err) {
    await writeSysctlValues(previous.filter((p): p is { key: string; value: string } => p.value !== null));
    if (backup) await copyFile(backup, target);
    else await rm(target, { force: true });
    throw new AutotuneError('E_SYSCTL', `${messageOf(err)}; ${target} was put back as it was (the .env change stays: autotune apply --rollback undoes it)`, { exitCode: 1 });
  }
  o.log(`sysctl: installed ${target} and loaded it (${settings.length} settings)`);
  return { installed: target, backup, previous, loaded: true };
}

/** Whether this user can create files in the target's folder (a test --sysctl-dir; not /etc/sysctl.d). */
function canWrite(target: string): boolean {
  let dir = dirname(target);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The temp file beside `path` that process `pid` writes before renaming it onto `path`. */
const tempPathOf = (path: string, pid: number) => join(dirname(path), `.${basename(path)}.autotune-tmp-${pid}`);

/** Removes the temp file a killed process `pid` may have left beside `path` (or beside the file a link at `path` points to). */
export async function removeLeftoverTemp(path: string, pid: number): Promise<void> {
  const target = await realpath(path).catch(() => path);
  await rm(tempPathOf(target, pid), { force: true });
}

/** Writes `path` (a real file, not a link) by renaming a temp file beside it onto it, keeping the file's mode. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = tempPathOf(path, process.pid);
  const mode = await stat(path).then((s) => s.mode & 0o777, () => 0o600);
  try {
    await writeFile(temp, text, { mode });
    await chmod(temp, mode);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {});
    throw err;
  }
}

/** Puts .env (the file a link points to, for a linked .env) back as it was: the backup's bytes, or no file when there was none. */
export async function restoreEnv(path: string, before: string | null, backup: string | null): Promise<void> {
  if (backup) await copyFile(backup, path);
  else if (before === null) await rm(path, { force: true });
  else await writeAtomically(path, before);
}
