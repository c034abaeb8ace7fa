import { execa, type Options } from 'execa';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
// `npm test` builds dist/ first and sets AUTOTUNE_TEST_DIST=1: the tests then run the compiled CLI a
// user runs (and skip tsx's start-up cost). A bare `vitest run` runs the sources through tsx.
const command = process.env.AUTOTUNE_TEST_DIST === '1' ? [fileURLToPath(new URL('../../bin/autotune.js', import.meta.url))] : ['--import', 'tsx', entry];

/** The node arguments that start the CLI (compiled or from source, as runCli does). */
export function cliArgs(args: string[]): string[] {
  return [...command, ...args];
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `autotune ARGS` in a child process and never throws. */
export async function runCli(args: string[], options: Options = {}): Promise<CliRun> {
  const result = await execa('node', cliArgs(args), {
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

/**
 * Runs the CLI in this process for a command line that must be refused before anything starts: the
 * same code and message as runCli, without a node start-up per case.
 */
export async function refusal(args: string[]): Promise<{ exitCode: number; stderr: string }> {
  const { main } = await import('../../src/cli/main.js');
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const exitCode = await main(args);
    // As execa gives a child's stderr: without its final newline.
    return { exitCode, stderr: stderr.replace(/\n$/, '') };
  } finally {
    process.stderr.write = write;
  }
}
