// Ranks a study's trials: feasible first; among feasible, trials of the confirmation race (judged on
// their confirm measurements) before the others (judged on their search measurements), then by the
// objective; infeasible trials after, least violation first. The rank test flags the trials that
// cannot be told apart from the best.

import type { Config } from '../pipeline/types.js';
import type { MeasurementRecord, ObjectiveSpec, Phase, TrialRecord, TrialState } from '../store/types.js';
import { directionOf, evaluateObjective, type Observation, type TrialFigures } from './objective.js';
import { mannWhitneyU, RANK_TEST_ALPHA } from './stats.js';

export interface RankedTrial extends Omit<TrialFigures, 'totals' | 'sn44s'> {
  rank: number;
  number: number;
  params: Config;
  state: TrialState;
  reason: string | null;
  baseline: string | null;
  /** Which measurements the figures come from. */
  phase: Phase;
  /** p-value of the rank test against the best trial; null for the best and for infeasible trials. */
  pVsBest: number | null;
  /** Not significantly different from the best (p >= alpha), or the best itself. */
  tiedWithBest: boolean;
  /** Baseline name -> the baseline's median time / this trial's median time (> 1 means faster). */
  speedup: Record<string, number | null>;
  totals: number[];
  sn44s: number[];
}

export function observationOf(m: MeasurementRecord): Observation {
  return {
    videoUrl: m.videoUrl,
    total: m.timeline.total,
    accuracy: m.accuracy,
    coverage: m.coverage,
    truthF1: m.truthF1,
    sn44: m.sn44,
    error: m.error,
    setupS: m.setupS ?? null,
    answerHash: m.answerHash ?? null,
  };
}

export function rankTrials(
  trials: readonly TrialRecord[],
  measurements: readonly MeasurementRecord[],
  objective: ObjectiveSpec,
): RankedTrial[] {
  const byTrial = new Map<number, MeasurementRecord[]>();
  for (const m of measurements) byTrial.set(m.trialId, [...(byTrial.get(m.trialId) ?? []), m]);
  const direction = directionOf(objective);

  const rows = trials
    .filter((t) => t.state !== 'RUNNING')
    .map((trial) => {
      const own = byTrial.get(trial.id) ?? [];
      const confirm = own.filter((m) => m.phase === 'confirm');
      const phase: Phase = confirm.length > 0 ? 'confirm' : 'search';
      const used = phase === 'confirm' ? confirm : own.filter((m) => m.phase === 'search');
      const figures = evaluateObjective(used.map(observationOf), objective, trial.number + 1);
      if (trial.state !== 'COMPLETE' && figures.feasible) {
        figures.feasible = false;
        figures.why = `${trial.state.toLowerCase()}: ${trial.reason ?? 'did not finish'}`;
        figures.violation = Math.max(figures.violation, 1);
      } else if (trial.state !== 'COMPLETE') {
        figures.why = `${trial.state.toLowerCase()}: ${trial.reason ?? figures.why ?? 'did not finish'}`;
      }
      const row: RankedTrial = {
        ...figures,
        rank: 0,
        number: trial.number,
        params: trial.params,
        state: trial.state,
        reason: trial.reason,
        baseline: trial.baseline,
        phase,
        pVsBest: null,
        tiedWithBest: false,
        speedup: {},
      };
      return row;
    });

  const better = (a: number | null, b: number | null) => {
    if (a === null && b === null) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    return direction === 'minimize' ? a - b : b - a;
  };
  rows.sort((a, b) => {
    if (a.feasible !== b.feasible) return a.feasible ? -1 : 1;
    if (a.feasible) {
      if (a.phase !== b.phase) return a.phase === 'confirm' ? -1 : 1;
      return better(a.value, b.value) || a.number - b.number;
    }
    return a.violation - b.violation || better(a.value, b.value) || a.number - b.number;
  });
  rows.forEach((row, i) => (row.rank = i + 1));

  const best = rows[0]?.feasible ? rows[0] : undefined;
  const sample = (r: RankedTrial) => (objective.kind === 'sn44' ? r.sn44s : r.totals);
  for (const row of rows) {
    if (!best || !row.feasible) continue;
    if (row === best) {
      row.tiedWithBest = true;
      continue;
    }
    row.pVsBest = mannWhitneyU(sample(best), sample(row)).p;
    row.tiedWithBest = row.pVsBest >= RANK_TEST_ALPHA;
  }

  const baselines = new Map<string, RankedTrial>();
  for (const row of rows) if (row.baseline && row.state === 'COMPLETE' && !baselines.has(row.baseline)) baselines.set(row.baseline, row);
  for (const row of rows) {
    for (const [name, base] of baselines) {
      row.speedup[name] = base.median !== null && row.median !== null && row.median > 0 ? base.median / row.median : null;
    }
  }
  return rows;
}

/** The best-ranked completed trial of each baseline name. */
export function baselineRows(rows: readonly RankedTrial[]): RankedTrial[] {
  const seen = new Set<string>();
  return rows.filter((r) => r.baseline !== null && r.state === 'COMPLETE' && !seen.has(r.baseline) && seen.add(r.baseline));
}
