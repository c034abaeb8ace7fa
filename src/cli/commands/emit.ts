// autotune emit: writes the winner of a study as files (best.env, summary.json, ...).

import { mkdir } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { AutotuneError } from '../../errors.js';
import type { EmitContext, Emitter } from '../../emit/emitter.js';
import { envEmitter } from '../../emit/env.js';
import { summaryEmitter } from '../../emit/summary.js';
import { reportEmitter } from '../../emit/report.js';
import { sysctlEmitter } from '../../emit/sysctl.js';
import { DEFAULT_DB_PATH, openStorage } from '../../store/index.js';
import { noWinnerReport } from '../../study/report.js';
import { loadRanking, requireTrials, selectStudy } from '../../study/select.js';

/** Every emitter `autotune emit` runs, in order; append new ones here. */
export const EMITTERS: Emitter[] = [envEmitter, summaryEmitter, sysctlEmitter, reportEmitter];

interface EmitArgs {
  study?: string;
  db: string;
  out: string;
}

export const emitCommand: CommandModule<object, EmitArgs> = {
  command: 'emit',
  describe: "Write the study's winner: DIR/best.env (sourceable exports) and DIR/summary.json",
  builder: (y) =>
    y
      .option('study', { type: 'string', describe: 'study name (default: the only study in the file)' })
      .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'results database' })
      .option('out', { type: 'string', default: 'results', describe: 'output folder' }),
  handler: async (args) => {
    const storage = openStorage(args.db);
    let context: EmitContext;
    try {
      const loaded = loadRanking(storage, selectStudy(storage, args.study));
      requireTrials(loaded);
      const winner = loaded.ranking[0]!;
      if (!winner.feasible) {
        const report = noWinnerReport(loaded.ranking) ?? 'no feasible trial';
        throw new AutotuneError('E_STUDY', `study "${loaded.study.name}" has no feasible trial to emit: ${report.replace(/\n\s*/g, '; ')}`, {
          hint: 'see `autotune trials` for why each trial is infeasible; relax --accuracy-floor or fix the failures and run more trials',
        });
      }
      context = { ...loaded, winner, outDir: args.out, date: new Date() };
    } finally {
      storage.close();
    }
    await mkdir(args.out, { recursive: true });
    for (const emitter of EMITTERS) {
      for (const path of await emitter.emit(context)) process.stdout.write(`wrote ${path}\n`);
    }
    const w = context.winner;
    process.stdout.write(
      `winner: trial ${w.number}${w.baseline ? ` (baseline ${w.baseline})` : ''}, median ${w.median?.toFixed(3) ?? '-'} s, accuracy ${w.accuracy?.toFixed(3) ?? '-'}\n`,
    );
  },
};
