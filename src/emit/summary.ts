// summary.json: the study, the winner, its gains and the whole ranking, for tools and reports.

import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { driftWarning } from '../study/drift.js';
import { describeMeasuredBy } from '../study/measured-by.js';
import { baselineRows, type RankedTrial, type StudyAnalysis } from '../study/ranking.js';
import { RANK_TEST_ALPHA } from '../study/stats.js';
import type { EmitContext, Emitter } from './emitter.js';

/** The study's drift verdict as the JSON outputs give it. */
export function driftJson(analysis: StudyAnalysis) {
  const d = analysis.drift;
  return {
    detected: d.detected,
    factor: d.factor,
    threshold: d.threshold,
    source: d.source,
    rankedBy: analysis.rankedBy,
    warning: d.detected ? driftWarning(d, analysis.control?.name ?? null) : null,
  };
}

/**
 * The public JSON shape of a ranked trial (also `autotune trials --json`, where each row also carries
 * the study's `drift` verdict, so a reader of any row sees whether the host's speed moved).
 */
export function rankedTrialJson(r: RankedTrial, analysis?: StudyAnalysis) {
  return {
    rank: r.rank,
    number: r.number,
    host: r.host,
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
    speedupBasis: r.speedupBasis,
    /** Search repeats (most challenges on one video) and rounds of the confirmation race it ran. */
    repeats: r.repeats,
    raceRounds: r.raceRounds,
    ratioToControl: r.ratioToControl && { median: r.ratioToControl.median, low: r.ratioToControl.low, high: r.ratioToControl.high, n: r.ratioToControl.n },
    rankValue: r.rankValue,
    search: r.search,
    stoppedBecause: r.verdict,
    dropped: r.dropped,
    outpaced: r.outpaced,
    challengesSaved: r.saved,
    warnings: r.warnings,
    ...(analysis ? { drift: driftJson(analysis) } : {}),
  };
}

export function buildSummary(context: Omit<EmitContext, 'outDir'>) {
  const { study, winner, ranking, date, analysis } = context;
  return {
    generatedAt: date.toISOString(),
    host: hostname(),
    study: {
      name: study.name,
      spaceFile: study.spaceFile,
      objective: study.objective,
      measuredBy: describeMeasuredBy(study.settings),
      settings: study.settings,
      createdAt: study.createdAt,
      hostSnapshot: study.host,
      netProbe: study.netProbe,
    },
    rankTest: {
      name: 'Mann-Whitney U, two-sided',
      alpha: RANK_TEST_ALPHA,
      untested: 'pVsBest is null (and tiedWithBest false) where the smallest p the two sample sizes allow is at or above alpha',
    },
    drift: driftJson(analysis),
    control: analysis.control,
    race: { ...analysis.race, test: 'Wilcoxon signed-rank, one-sided; Holm across the confirmation race', challengesSaved: analysis.saved },
    challenges: analysis.challenges,
    winner: rankedTrialJson(winner),
    baselines: baselineRows(ranking).map((b) => ({
      name: b.baseline,
      number: b.number,
      median: b.median,
      sn44: b.sn44,
      feasible: b.feasible,
      speedupOfWinner: winner.speedup[b.baseline!] ?? null,
      speedupBasis: winner.speedupBasis[b.baseline!] ?? null,
    })),
    trials: ranking.map((r) => rankedTrialJson(r)),
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
