// `autotune apply --rollback`: undo the last apply recorded in the miner dir's manifest.
import { lstatSync, readlinkSync } from 'node:fs';
import { copyFile, rm, symlink } from 'node:fs/promises';
import { AutotuneError, messageOf } from '../errors.js';
import { envValues, parseEditableEnv } from './env-editor.js';
import { readRecords, writeRecords } from './manifest.js';
import { checkMinerDir, readOptional, writeProblem } from './miner-dir.js';
import { findPm2Process, pm2Restart, resolvePm2, waitOnline, type WaitOptions } from './pm2.js';
import { isRoot, writeSysctlValues } from './sysctl-install.js';

export interface RollbackOptions {
  minerDir: string;
  pm2: string | null;
  log: (line: string) => void;
  root?: boolean;
  wait?: WaitOptions;
}

/** Makes PATH the symbolic link LINK again if something replaced it (e.g. an editor, or an older apply). */
async function restoreLink(path: string, link: string, log: (line: string) => void): Promise<void> {
  let current: string | null = null;
  try {
    current = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : '';
  } catch {
    current = null;
  }
  if (current === link) return;
  await rm(path, { force: true });
  await symlink(link, path);
  log(`put back the link ${path} -> ${link}`);
}

export async function rollbackLast(o: RollbackOptions): Promise<void> {
  checkMinerDir(o.minerDir);
  const records = readRecords(o.minerDir);
  const last = records.at(-1);
  if (!last) {
    throw new AutotuneError('E_NOT_FOUND', `nothing to roll back in ${o.minerDir}: no apply is recorded there`, {
      hint: 'autotune apply --yes records what it changes; roll back only after one',
    });
  }
  const pm2 = o.pm2 ? { bin: resolvePm2(), name: o.pm2 } : null;
  if (pm2) await findPm2Process(pm2.bin, pm2.name);
  const restored = last.env.backup ? await readOptional(last.env.backup) : null;
  if (last.env.backup && restored === null) {
    throw new AutotuneError('E_NOT_FOUND', `the backup ${last.env.backup} is gone; nothing was changed`, {
      hint: `restore ${last.env.path} by hand`,
    });
  }
  const oldValues = envValues(parseEditableEnv(restored ?? '', last.env.backup ?? last.env.path));
  const current = await readOptional(last.env.path);
  const added = current === null ? [] : Object.keys(envValues(parseEditableEnv(current, last.env.path))).filter((k) => !(k in oldValues));

  try {
    if (last.env.link) await restoreLink(last.env.path, last.env.link, o.log);
    // copyFile writes through a link: a linked .env gets its content back and stays a link.
    if (last.env.backup) await copyFile(last.env.backup, last.env.path);
    else await rm(last.env.path, { force: true });
    const through = last.env.link ? ` (through the link to ${last.env.link})` : '';
    o.log(last.env.backup ? `restored ${last.env.path}${through} from ${last.env.backup}` : `removed ${last.env.path} (apply created it)`);
  } catch (err) {
    throw err instanceof AutotuneError ? err : writeProblem(err, 'the apply was not rolled back');
  }

  if (last.sysctl) {
    const s = last.sysctl;
    if (s.backup) await copyFile(s.backup, s.installed);
    else await rm(s.installed, { force: true });
    o.log(s.backup ? `restored ${s.installed} from ${s.backup}` : `removed ${s.installed}`);
    const values = s.previous.filter((p): p is { key: string; value: string } => p.value !== null);
    if (s.loaded && (o.root ?? isRoot())) {
      const failed = await writeSysctlValues(values);
      o.log(failed.length === 0 ? `sysctl: put back ${values.length} kernel values seen before apply` : `sysctl: could not put back ${failed.join(', ')}`);
    } else if (s.loaded) {
      o.log('sysctl: to put back the kernel values seen before apply, run:');
      for (const v of values) o.log(`  sudo sysctl -w '${v.key}=${v.value}'`);
    }
  }
  await writeRecords(o.minerDir, records.slice(0, -1));

  if (pm2) {
    try {
      await pm2Restart(pm2.bin, pm2.name, oldValues);
      const proc = await waitOnline(pm2.bin, pm2.name, oldValues, o.wait);
      o.log(`pm2: ${pm2.name} is online (pid ${proc.pid}) with the restored values`);
      // pm2 --update-env merges into the stored environment: a variable cannot be unset that way.
      const stale = added.filter((k) => proc.env[k] !== undefined);
      if (stale.length > 0) {
        o.log(
          `pm2: ${pm2.name} still carries ${stale.map((k) => `${k}=${String(proc.env[k])}`).join(' ')} from the apply (pm2 restart --update-env cannot unset variables); ` +
            `to drop them: pm2 delete ${pm2.name}, then start it again from its ecosystem file or start command`,
        );
      }
    } catch (err) {
      throw new AutotuneError('E_PM2_RESTART', `restored the files, but ${messageOf(err)}`, {
        hint: `check pm2 logs ${pm2.name}`,
        exitCode: 1,
      });
    }
  }
}
