// The Optuna peer of the search benchmark: one long-lived /usr/bin/python3 running
// scripts/bench/optuna_driver.py (Debian's python3-optuna lands there, not in a pyenv python first on
// PATH), spoken to one JSON line at a time.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/search/index.js';

export const OPTUNA_PYTHON = process.env.OPTUNA_PYTHON ?? '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('./optuna_driver.py', import.meta.url));

export interface OptunaStudySpec {
  sampler: 'tpe' | 'random';
  seed: number;
  direction: 'minimize' | 'maximize';
  params: Record<string, unknown>[];
  enqueue: Config[];
}

export interface OptunaDriver {
  readonly version: string;
  study(spec: OptunaStudySpec): Promise<void>;
  ask(): Promise<Config>;
  /** value null: the trial failed (every challenge failed). */
  tell(value: number | null, violation: number): Promise<void>;
  close(): Promise<void>;
}

/** The driver, or why Optuna cannot be used here (then the benchmark skips it with that message). */
export async function startOptuna(python = OPTUNA_PYTHON): Promise<OptunaDriver | { missing: string }> {
  if (!existsSync(python)) return { missing: `${python} not found (install python3-optuna: scripts/install-system-deps.sh)` };
  const child = spawn(python, [DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string | null) => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  lines.on('line', (line) => waiting.shift()?.(line));
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
  void ended.then(() => {
    for (const w of waiting.splice(0)) w(null);
  });
  child.on('error', () => {});
  const call = (message: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      waiting.push((line) => {
        if (line === null) return reject(new Error(`the Optuna driver ended: ${stderr.trim().split('\n').at(-1) ?? ''}`));
        const answer = JSON.parse(line) as Record<string, unknown>;
        if (typeof answer.error === 'string') reject(new Error(`the Optuna driver: ${answer.error}`));
        else resolve(answer);
      });
      child.stdin.write(`${JSON.stringify(message)}\n`);
    });
  let version: string;
  try {
    version = String((await call({ op: 'version' })).optuna);
  } catch {
    child.kill();
    const why = /No module named .?optuna/.test(stderr) ? 'python3-optuna is not installed' : stderr.trim().split('\n').at(-1) ?? 'it did not start';
    return { missing: `${python} cannot run Optuna: ${why} (install python3-optuna: scripts/install-system-deps.sh)` };
  }
  return driverOf(child, version, call, ended);
}

function driverOf(
  child: ChildProcessWithoutNullStreams,
  version: string,
  call: (message: Record<string, unknown>) => Promise<Record<string, unknown>>,
  ended: Promise<void>,
): OptunaDriver {
  return {
    version,
    study: async (spec) => void (await call({ op: 'study', ...spec })),
    ask: async () => (await call({ op: 'ask' })).config as Config,
    tell: async (value, violation) => void (await call({ op: 'tell', value, violation })),
    close: async () => {
      child.stdin.end();
      await ended;
    },
  };
}
