import yargs from 'yargs';
import { AutotuneError, messageOf } from '../errors.js';
import { commands } from './commands/index.js';

/** Runs the CLI and returns the exit code; errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  if (!process.stdout.listeners('error').includes(outputGone)) process.stdout.on('error', outputGone);
  const cli = yargs(argv)
    .scriptName('autotune')
    .usage('$0 <command> [options]\n\nMeasure-driven tuning of SN44 (Score Vision) miners.')
    .strict()
    .strictCommands()
    .demandCommand(1, 'name a command (autotune --help lists them)')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      throw err ?? new AutotuneError('E_USAGE', msg, { hint: 'see autotune --help' });
    });
  for (const command of commands) cli.command(command);
  try {
    await cli.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    process.stderr.write(`autotune: ${messageOf(err)}\n`);
    if (process.env.AUTOTUNE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof AutotuneError ? err.exitCode : 1;
  }
}

/**
 * A reader that stops early (`autotune trials | head`) closes the pipe: the rest of the output goes
 * nowhere and the command finishes what it does (a study, an apply) instead of dying mid-way.
 */
function outputGone(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  process.stdout.write = (() => true) as typeof process.stdout.write;
}
