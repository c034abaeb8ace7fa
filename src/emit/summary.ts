// summary.json: the study, the winner, its gains and the whole ranking, for tools and reports.

import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { baselineRows, type RankedTrial } from '../study/ranking.js';
import { RANK_TEST_ALPHA } from '../study/stats.js';
import type { EmitContext, Emitter } from './emitter.js';

/** The public JSON shape of a ranked trial (also `autotune trials --json`). */
export function rankedTrialJson(r: RankedTrial) {
  return {
    rank: r.rank,
    number: r.number,
    params: r.params,
    state: r.state,
    feasible: r.feasible,
    why: r.why,
    baseline: r.baseline,
    phase: r.phase,
    median: r.median,
    interval: r.interval,
    p90: r.p90,
    accuracy: r.accuracy,
    coverage: r.coverage,
    truthF1: r.truthF1,
    sn44: r.sn44,
    reproducible: r.reproducible,
    setupS: r.setupS,
    value: r.value,
    violation: r.violation,
    challenges: r.challenges,
    failed: r.failed,
    failureReasons: r.failureReasons,
    tiedWithBest: r.tiedWithBest,
    pVsBest: r.pVsBest,
    speedup: r.speedup,
  };
}

export function buildSummary(context: Omit<EmitContext, 'outDir'>) {
  const { study, winner, ranking, date } = context;
  return {
    generatedAt: date.toISOString(),
    host: hostname(),
    study: {
      name: study.name,
      spaceFile: study.spaceFile,
      objective: study.objective,
      settings: study.settings,
      createdAt: study.createdAt,
      hostSnapshot: study.host,
      netProbe: study.netProbe,
    },
    rankTest: { name: 'Mann-Whitney U, two-sided', alpha: RANK_TEST_ALPHA },
    winner: rankedTrialJson(winner),
    baselines: baselineRows(ranking).map((b) => ({
      name: b.baseline,
      number: b.number,
      median: b.median,
      sn44: b.sn44,
      feasible: b.feasible,
      speedupOfWinner: winner.speedup[b.baseline!] ?? null,
    })),
    trials: ranking.map(rankedTrialJson),
  };
}

export const summaryEmitter: Emitter = {
  name: 'summary',
  async emit(context) {
    const path = join(context.outDir, 'summary.json');
    await writeFile(path, `${JSON.stringify(buildSummary(context), null, 2)}\n`);
    return [path];
  },
};
