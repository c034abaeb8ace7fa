// Restarts a miner that pm2 does not run (the turbovision private track's Docker container) with the
// user's command: it runs with the values in its environment and {env} replaced by the path of an
// env file holding them, and must return once the miner is restarted.

import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { AutotuneError } from '../../errors.js';
import { substitute } from '../command/argv.js';
import { tailLines, type Restarter, type RestartSpec } from './types.js';

export class CommandRestarter implements Restarter {
  readonly spec: RestartSpec;
  readonly label: string;
  private dir: string | null = null;
  private lastOutput = '';

  constructor(private readonly argv: string[]) {
    this.spec = { kind: 'command', argv };
    this.label = `restart command ${argv[0]}`;
  }

  async currentValues(): Promise<Record<string, string>> {
    return {};
  }

  async restart(values: Record<string, string>, options: { timeoutMs: number }): Promise<void> {
    this.dir ??= await mkdtemp(join(tmpdir(), 'autotune-restart-'));
    const envFile = join(this.dir, 'miner.env');
    await writeFile(envFile, Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
    await chmod(envFile, 0o600);
    const [file, ...args] = substitute(this.argv, { env: envFile });
    const run = await execa(file!, args, { env: values, extendEnv: true, reject: false, stdin: 'ignore', all: true, timeout: options.timeoutMs });
    this.lastOutput = String(run.all ?? '');
    if (run.exitCode !== 0 || run.timedOut) {
      const why = run.timedOut ? `did not return within ${Math.round(options.timeoutMs / 1000)} s` : run.exitCode === undefined ? `failed to start (${run.shortMessage})` : `exited ${run.exitCode}`;
      throw new AutotuneError('E_MINER', `the restart command ${why}`, { hint: 'run it by hand to see why' });
    }
  }

  async confirm(): Promise<void> {}

  async stopped(): Promise<string | null> {
    return null;
  }

  async lastLogLines(): Promise<string> {
    return tailLines(this.lastOutput);
  }

  async close(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
