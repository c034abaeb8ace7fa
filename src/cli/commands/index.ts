import type { CommandModule } from 'yargs';

// One module per command; each is a thin layer over the library code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];
