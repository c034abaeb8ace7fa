// pm2 through its CLI (execa): find the binary, list processes, restart with a new environment and
// wait until the process is online and carries the expected values.
import { closeSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { AutotuneError } from '../errors.js';
import { ENV_NAME } from '../util/env-names.js';
import { findOnPath, isExecutable } from '../util/executable.js';
import { processRuns } from '../util/process.js';

export interface Pm2Process {
  name: string;
  pmId: number;
  pid: number;
  status: string;
  restarts: number;
  env: Record<string, unknown>;
  /** The environment pm2 stores for the process (what it was started or last restarted with). */
  storedEnv: Record<string, string>;
  /** The files pm2 writes the process's stdout and stderr to. */
  logs: { out: string | null; err: string | null };
}

const PACKAGE_PM2 = fileURLToPath(new URL('../../node_modules/.bin/pm2', import.meta.url));

/** PM2_BIN, then `pm2` on PATH, then this package's node_modules/.bin/pm2. */
export function resolvePm2(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PM2_BIN) {
    if (isExecutable(env.PM2_BIN)) return env.PM2_BIN;
    throw new AutotuneError('E_PM2', `pm2 not installed: PM2_BIN=${env.PM2_BIN} is not an executable file; nothing was changed`, {
      hint: 'install pm2 (npm install -g pm2) or point PM2_BIN at it',
    });
  }
  const onPath = findOnPath('pm2', env.PATH);
  if (onPath) return onPath;
  if (isExecutable(PACKAGE_PM2)) return PACKAGE_PM2;
  throw new AutotuneError('E_PM2', 'pm2 not installed (not on PATH, PM2_BIN unset); nothing was changed', {
    hint: 'install pm2 (npm install -g pm2) or point PM2_BIN at it',
  });
}


/** `pm2 jlist`, parsed. */
export async function pm2List(bin: string): Promise<Pm2Process[]> {
  const run = await execa(bin, ['jlist'], { reject: false, stdin: 'ignore' });
  const out = String(run.stdout ?? '');
  const list = run.exitCode === 0 ? jsonListIn(out) : null;
  if (!list) {
    throw new AutotuneError('E_PM2', `pm2 jlist failed (exit ${run.exitCode}): ${firstLine(String(run.stderr ?? '') || out)}`, {
      hint: 'check that pm2 works: pm2 ls',
    });
  }
  return list.map((p) => ({
    name: String(p.name),
    pmId: Number(p.pm_id),
    pid: Number(p.pid ?? 0),
    status: String(p.pm2_env?.status ?? 'unknown'),
    restarts: Number(p.pm2_env?.restart_time ?? 0),
    env: { ...(p.pm2_env?.env ?? {}), ...pickStrings(p.pm2_env ?? {}) },
    storedEnv: stringValues(p.pm2_env?.env ?? {}),
    logs: { out: p.pm2_env?.pm_out_log_path ?? null, err: p.pm2_env?.pm_err_log_path ?? null },
  }));
}

function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function pickStrings(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => ENV_NAME.test(k)));
}

/** pm2's folder for this user (PM2_HOME, else ~/.pm2). */
function pm2Home(env: NodeJS.ProcessEnv = process.env): string {
  return env.PM2_HOME || join(homedir(), '.pm2');
}

/** Whether this user's pm2 daemon runs (its pid file names a live process). */
function daemonRuns(home: string): boolean {
  try {
    return processRuns(Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim()));
  } catch {
    return false;
  }
}

/**
 * The named process (name or pm id), or an E_PM2 error naming what pm2 knows. Without a running
 * daemon there is no process to find, and asking pm2 would start one (and leave it running): the
 * usual cause is another user's pm2 running the miner.
 */
export async function findPm2Process(bin: string, name: string): Promise<Pm2Process> {
  const home = pm2Home();
  if (!daemonRuns(home)) {
    throw new AutotuneError('E_PM2', `no pm2 daemon runs for this user (PM2_HOME ${home}), so no process named ${name}; nothing was changed`, {
      hint: "run autotune as the user whose pm2 runs the miner, or set PM2_HOME to that pm2's folder",
    });
  }
  const list = await pm2List(bin);
  const found = list.find((p) => p.name === name || String(p.pmId) === name);
  if (!found) {
    const known = list.map((p) => p.name).join(', ') || 'none';
    throw new AutotuneError('E_PM2', `pm2 has no process named ${name} (known: ${known}); nothing was changed`, {
      hint: 'pass the name shown by pm2 ls',
    });
  }
  return found;
}

/**
 * `pm2 restart NAME --update-env` with `values` set in the process's environment. pm2 merges the whole
 * environment of the pm2 command into the process's, so the command gets the process's stored
 * environment plus the values, never autotune's own (NODE_OPTIONS, proxies, a shell's variables).
 */
export async function pm2Restart(bin: string, name: string, values: Record<string, string>, known?: Pm2Process | null): Promise<void> {
  // The process as last confirmed stands in for a fresh list while its pid still runs: pm2 has not
  // restarted it since (every restart, crash or reload gives a new pid), so it stores the same environment.
  const proc = known && processRuns(known.pid) ? known : await findPm2Process(bin, name);
  const [file, args] = pm2Command(bin);
  const env = { ...proc.storedEnv, ...values, ...daemonAddress(proc.storedEnv) };
  const run = await execa(file, [...args, 'restart', name, '--update-env'], { reject: false, stdin: 'ignore', env, extendEnv: false });
  if (run.exitCode !== 0) {
    throw new AutotuneError('E_PM2_RESTART', `pm2 restart ${name} failed (exit ${run.exitCode}): ${firstLine(String(run.stderr ?? '') || String(run.stdout ?? ''))}`);
  }
}

/** PM2_HOME when the process's own environment would not lead the pm2 command to this user's daemon. */
function daemonAddress(stored: Record<string, string>): Record<string, string> {
  const home = pm2Home();
  if (stored.PM2_HOME === home) return {};
  if (!stored.PM2_HOME && stored.HOME && join(stored.HOME, '.pm2') === home) return {};
  return { PM2_HOME: home };
}

/**
 * pm2 is a node script that finds node on PATH; the process's PATH may not lead to it (a miner started
 * from a Python virtualenv), so a node script runs on this node.
 */
function pm2Command(bin: string): [string, string[]] {
  try {
    const real = realpathSync(bin);
    const head = Buffer.alloc(200);
    const fd = openSync(real, 'r');
    let length: number;
    try {
      length = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const shebang = head.subarray(0, length).toString('utf8').split('\n')[0] ?? '';
    if (/^#!.*\bnode\b/.test(shebang)) return [process.execPath, [real]];
  } catch {
    // run it as given
  }
  return [bin, []];
}

/** `pm2 stop NAME`: ends a crash loop so the next restart is not refused mid-respawn. */
export async function pm2Stop(bin: string, name: string): Promise<void> {
  await execa(bin, ['stop', name], { reject: false, stdin: 'ignore' });
}

export interface WaitOptions {
  timeoutMs?: number;
  /** How long the process must stay online with the same pid before it counts as up. */
  settleMs?: number;
  pollMs?: number;
}

/**
 * The process list in jlist's output: its one JSON line. A daemon that starts on this call prints
 * banner lines first, and they begin with "[PM2]" too.
 */
function jsonListIn(out: string): Array<Record<string, any>> | null {
  for (const line of out.split('\n').reverse()) {
    const text = line.trim();
    if (!text.startsWith('[')) continue;
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed as Array<Record<string, any>>;
    } catch {
      // a banner line
    }
  }
  return null;
}

/**
 * Polls jlist until NAME is online with `expected` in its environment and stays so for settleMs: seen
 * online, then again once settleMs later with the same pid and restart count (a crash and pm2's
 * respawn in between changes both). Each jlist starts a node process, so the settle is one wait, not
 * a poll that loads the host the miner serves from.
 */
export async function waitOnline(bin: string, name: string, expected: Record<string, string>, options: WaitOptions = {}): Promise<Pm2Process> {
  const { timeoutMs = 20_000, settleMs = 1_500, pollMs = 200 } = options;
  const deadline = Date.now() + timeoutMs;
  let since: { pid: number; restarts: number; at: number } | null = null;
  let last: Pm2Process | null = null;
  let why = 'not listed';
  while (Date.now() < deadline) {
    const proc = (await pm2List(bin)).find((p) => p.name === name || String(p.pmId) === name) ?? null;
    last = proc;
    const mismatch = proc ? Object.entries(expected).find(([k, v]) => String(proc.env[k] ?? '') !== v) : undefined;
    if (!proc) why = 'not listed';
    else if (proc.status === 'errored' || proc.status === 'stopped') {
      throw new AutotuneError('E_PM2_RESTART', `${name} is ${proc.status} after the restart (${proc.restarts} restarts)`);
    } else if (proc.status !== 'online') why = `status ${proc.status}`;
    else if (mismatch) why = `its environment has ${mismatch[0]}=${String(proc.env[mismatch[0]] ?? '(unset)')}, expected ${mismatch[1]}`;
    else {
      if (!since || since.pid !== proc.pid || since.restarts !== proc.restarts) since = { pid: proc.pid, restarts: proc.restarts, at: Date.now() };
      why = `online, but not yet for ${settleMs / 1000} s`;
      const settled = Date.now() - since.at;
      if (settled >= settleMs) return proc;
      await sleep(Math.min(settleMs - settled, Math.max(0, deadline - Date.now())));
      continue;
    }
    since = null;
    await sleep(pollMs);
  }
  throw new AutotuneError('E_PM2_RESTART', `${name} did not come up online with the new environment within ${Math.round(timeoutMs / 1000)} s (${why}${last ? `, ${last.restarts} restarts` : ''})`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function firstLine(text: string): string {
  return text.trim().split('\n').find((l) => l.trim() !== '')?.trim() ?? '(no output)';
}
