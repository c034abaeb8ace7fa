// Emits a study's files: the winner's env, sysctl tweaks, summary and report. Shared by
// `autotune emit` and `autotune demo`.

import { AutotuneError } from '../errors.js';
import { openStorage } from '../store/index.js';
import { noWinnerReport } from '../study/report.js';
import { loadRanking, requireTrials, selectStudy } from '../study/select.js';
import type { RankedTrial } from '../study/ranking.js';
import type { EmitContext, Emitter } from './emitter.js';
import { envEmitter } from './env.js';
import { reportEmitter } from './report.js';
import { summaryEmitter } from './summary.js';
import { sysctlEmitter } from './sysctl.js';
import { makeDirs } from '../util/fs.js';

/** Every emitter, in order; append new ones here. */
export const EMITTERS: Emitter[] = [envEmitter, summaryEmitter, sysctlEmitter, reportEmitter];

export interface EmitResult {
  winner: RankedTrial;
  paths: string[];
}

/** Writes every emitter's files for the study's winner; E_STUDY when no trial is feasible. */
/** `db`: the results store (a SQLite file or a postgres:// URL). */
/** `host`: the host whose trials to emit from; needed when the study was measured on more than one. */
export async function emitStudy(options: { db: string; study?: string; outDir: string; host?: string }): Promise<EmitResult> {
  const storage = await openStorage(options.db, { mustExist: true });
  let context: EmitContext;
  try {
    const study = await selectStudy(storage, options.study);
    let loaded = await loadRanking(storage, study, options.host);
    if (options.host === undefined && loaded.hosts.length > 1) {
      throw new AutotuneError('E_USAGE', `study "${study.name}" was measured on ${loaded.hosts.length} hosts: ${loaded.hosts.join(', ')}`, {
        hint: `a tuned env file is one host's: pass --host ${loaded.hosts[0]} (or another of them)`,
      });
    }
    // One host: the study's ranking is that host's own.
    if (options.host === undefined && loaded.hosts.length === 1) loaded = { ...loaded, host: loaded.hosts[0]! };
    requireTrials(loaded);
    const winner = loaded.analysis.winner ?? loaded.ranking[0]!;
    if (!winner.feasible) {
      const report = noWinnerReport(loaded.ranking) ?? 'no feasible trial';
      throw new AutotuneError('E_STUDY', `study "${loaded.study.name}" has no feasible trial to emit: ${report.replace(/\n\s*/g, '; ')}`, {
        hint: 'see `autotune trials` for why each trial is infeasible; relax --accuracy-floor or fix the failures and run more trials',
      });
    }
    context = { ...loaded, winner, outDir: options.outDir, date: new Date() };
  } finally {
    await storage.close();
  }
  makeDirs(options.outDir, 'the output folder');
  const paths: string[] = [];
  for (const emitter of EMITTERS) paths.push(...(await emitter.emit(context)));
  return { winner: context.winner, paths };
}
