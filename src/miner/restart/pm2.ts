// Restarts a pm2 process with the apply machinery: `pm2 restart NAME --update-env` with the values in
// the environment, then waits until pm2 lists it online with them.

import { open } from 'node:fs/promises';
import { findPm2Process, pm2Restart, pm2Stop, resolvePm2, waitOnline } from '../../apply/pm2.js';
import { isAutotuneError } from '../../errors.js';
import { tailLines, type Restarter, type RestartSpec } from './types.js';

const LOG_TAIL_BYTES = 8192;

export class Pm2Restarter implements Restarter {
  readonly spec: RestartSpec;
  readonly label: string;
  private pid: number | null = null;
  /** Counts restarts, so a confirmation that outlives its restart cannot set the pid of a later one. */
  private generation = 0;

  constructor(
    private readonly name: string,
    private readonly bin: string = resolvePm2(),
  ) {
    this.spec = { kind: 'pm2', name };
    this.label = `pm2 process ${name}`;
  }

  /** Throws E_PM2 when pm2 does not know the process. */
  async check(): Promise<void> {
    await findPm2Process(this.bin, this.name);
  }

  async currentValues(keys: readonly string[]): Promise<Record<string, string>> {
    const proc = await findPm2Process(this.bin, this.name);
    const values: Record<string, string> = {};
    for (const key of keys) if (proc.env[key] !== undefined && proc.env[key] !== null) values[key] = String(proc.env[key]);
    return values;
  }

  async restart(values: Record<string, string>, options: { timeoutMs: number; afterFailure?: boolean }): Promise<void> {
    this.pid = null;
    this.generation++;
    // A process that crashed with the previous values may be in pm2's respawn loop, which refuses a
    // restart ("Process with pid N already exists"): stop it first.
    if (options.afterFailure) await pm2Stop(this.bin, this.name);
    try {
      await pm2Restart(this.bin, this.name, values);
    } catch (err) {
      if (!isAutotuneError(err, 'E_PM2_RESTART')) throw err;
      await pm2Stop(this.bin, this.name);
      await pm2Restart(this.bin, this.name, values);
    }
  }

  async confirm(values: Record<string, string>, timeoutMs: number): Promise<void> {
    const generation = this.generation;
    const proc = await waitOnline(this.bin, this.name, values, { timeoutMs, settleMs: 0, pollMs: 100 });
    if (generation === this.generation) this.pid = proc.pid;
  }

  async stopped(): Promise<string | null> {
    const proc = (await findPm2Process(this.bin, this.name).catch(() => null)) ?? null;
    if (!proc) return `pm2 no longer lists ${this.name}`;
    if (proc.status !== 'online') return `${this.name} is ${proc.status} (${proc.restarts} restarts)`;
    if (this.pid !== null && proc.pid !== this.pid) return `${this.name} exited and pm2 started it again (pid ${this.pid}, now ${proc.pid})`;
    return null;
  }

  async lastLogLines(): Promise<string> {
    const proc = await findPm2Process(this.bin, this.name).catch(() => null);
    if (!proc) return '';
    for (const path of [proc.logs.err, proc.logs.out]) {
      const tail = path ? tailLines(await readTail(path)) : '';
      if (tail) return tail;
    }
    return '';
  }

  async close(): Promise<void> {}
}

async function readTail(path: string): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const start = Math.max(0, size - LOG_TAIL_BYTES);
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
