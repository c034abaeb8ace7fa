import { execa, type Options } from 'execa';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `autotune ARGS` in a child process (from source, through tsx) and never throws. */
export async function runCli(args: string[], options: Options = {}): Promise<CliRun> {
  const result = await execa('node', ['--import', 'tsx', entry, ...args], {
    cwd: root,
    reject: false,
    stdin: 'ignore',
    env: { ...process.env, FORCE_COLOR: '0' },
    ...options,
  });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}
