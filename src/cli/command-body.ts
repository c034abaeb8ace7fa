import type { ArgumentsCamelCase, Argv } from 'yargs';

/**
 * What a command module exports: its options and what it does. Its name and one-line description
 * live in commands/index.ts, so `autotune --help` and every other command start without loading it.
 */
export interface CommandBody<A = object> {
  builder(y: Argv<object>): Argv<A> | PromiseLike<Argv<A>>;
  handler(args: ArgumentsCamelCase<A>): void | Promise<void>;
}
