import type { CommandModule } from 'yargs';
import { applyCommand } from './apply.js';
import { labCommand } from './lab.js';
import { samplesCommand } from './samples.js';

// One module per command; each is a thin layer over the library code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [samplesCommand, labCommand, applyCommand];
