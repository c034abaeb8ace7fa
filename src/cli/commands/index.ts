import type { CommandModule } from 'yargs';
import { applyCommand } from './apply.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor.js';
import { reportCommand } from './report.js';
import { labCommand } from './lab.js';
import { netCommand } from './net.js';
import { samplesCommand } from './samples.js';
import { emitCommand } from './emit.js';
import { runCommand } from './run.js';
import { showCommand } from './show.js';
import { trialsCommand } from './trials.js';
import { modelCommand } from './model.js';
import { inferCommand } from './infer.js';
import { diagnoseCommand } from './diagnose.js';
import { storeCommand } from './store.js';

// One module per command; each is a thin layer over the library code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [doctorCommand, samplesCommand, labCommand, applyCommand, netCommand, runCommand, trialsCommand, showCommand, emitCommand, reportCommand, demoCommand, modelCommand, inferCommand, diagnoseCommand, storeCommand];
