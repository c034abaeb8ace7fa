// Restarts a pm2 process with the apply machinery: `pm2 restart NAME --update-env` with the values in
// the environment, then waits until pm2 lists it online with them.

import { open, stat } from 'node:fs/promises';
import { findPm2Process, pm2Restart, pm2Stop, resolvePm2, waitOnline, type Pm2Process } from '../../apply/pm2.js';
import { isAutotuneError } from '../../errors.js';
import { tailLines, type Restarter, type RestartSpec } from './types.js';
import { processRuns } from '../../util/process.js';

const LOG_TAIL_BYTES = 8192;

export class Pm2Restarter implements Restarter {
  readonly spec: RestartSpec;
  readonly label: string;
  private pid: number | null = null;
  /** Counts restarts, so a confirmation that outlives its restart cannot set the pid of a later one. */
  private generation = 0;
  /** pm2's log files of the process (they stay across restarts). */
  private logs: Pm2Process['logs'] | null = null;
  /** Each log file's size when the last restart began: what the miner wrote before is not this start's. */
  private logStart = new Map<string, number>();
  /** The process as pm2 last listed it to this restarter: the next restart needs no list while its pid runs. */
  private confirmed: Pm2Process | null = null;

  constructor(
    private readonly name: string,
    private readonly bin: string = resolvePm2(),
  ) {
    this.spec = { kind: 'pm2', name };
    this.label = `pm2 process ${name}`;
  }

  /** Throws E_PM2 when pm2 does not know the process. */
  async check(): Promise<void> {
    this.confirmed = await findPm2Process(this.bin, this.name);
  }

  async currentValues(keys: readonly string[]): Promise<Record<string, string>> {
    const proc = await findPm2Process(this.bin, this.name);
    this.confirmed = proc;
    const values: Record<string, string> = {};
    for (const key of keys) if (proc.env[key] !== undefined && proc.env[key] !== null) values[key] = String(proc.env[key]);
    return values;
  }

  async restart(values: Record<string, string>, options: { timeoutMs: number; afterFailure?: boolean }): Promise<void> {
    this.pid = null;
    this.generation++;
    const known = this.confirmed;
    this.confirmed = null;
    this.logs ??= (known ?? (await findPm2Process(this.bin, this.name))).logs;
    this.logStart = new Map(await Promise.all([this.logs.err, this.logs.out].filter((p): p is string => p !== null).map(async (p) => [p, await sizeOf(p)] as const)));
    // A process that crashed with the previous values may be in pm2's respawn loop, which refuses a
    // restart ("Process with pid N already exists"): stop it first.
    if (options.afterFailure) await pm2Stop(this.bin, this.name);
    try {
      await pm2Restart(this.bin, this.name, values, options.afterFailure ? null : known);
    } catch (err) {
      if (!isAutotuneError(err, 'E_PM2_RESTART')) throw err;
      await pm2Stop(this.bin, this.name);
      await pm2Restart(this.bin, this.name, values);
    }
  }

  async confirm(values: Record<string, string>, timeoutMs: number): Promise<void> {
    const generation = this.generation;
    const proc = await waitOnline(this.bin, this.name, values, { timeoutMs, settleMs: 0, pollMs: 100 });
    if (generation === this.generation) {
      this.pid = proc.pid;
      this.confirmed = proc;
    }
  }

  async stopped(): Promise<string | null> {
    // The process the restart started still runs: nothing to ask pm2. This is checked every half
    // second while a miner starts, and each pm2 jlist starts a node process on the host whose start
    // is being timed.
    if (this.pid !== null && processRuns(this.pid)) return null;
    const proc = (await findPm2Process(this.bin, this.name).catch(() => null)) ?? null;
    if (!proc) return `pm2 no longer lists ${this.name}`;
    if (proc.status !== 'online') return `${this.name} is ${proc.status} (${proc.restarts} restarts)`;
    if (this.pid !== null && proc.pid !== this.pid) return `${this.name} exited and pm2 started it again (pid ${this.pid}, now ${proc.pid})`;
    return null;
  }

  /** The last lines the miner logged since the last restart began (stderr first). */
  async lastLogLines(): Promise<string> {
    const proc = await findPm2Process(this.bin, this.name).catch(() => null);
    if (!proc) return '';
    for (const path of [proc.logs.err, proc.logs.out]) {
      const tail = path ? tailLines(await readTail(path, this.logStart.get(path) ?? 0)) : '';
      if (tail) return tail;
    }
    return '';
  }

  async close(): Promise<void> {}
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

/** The end of a log, from `from` on (all of it when the file is now shorter: rotated or truncated). */
async function readTail(path: string, from: number): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const start = Math.max(size < from ? 0 : from, size - LOG_TAIL_BYTES);
      const buffer = Buffer.alloc(size - start);
      await file.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8');
    } finally {
      await file.close();
    }
  } catch {
    return '';
  }
}
