import type { Config } from '../pipeline/types.js';

export type TrialState = 'RUNNING' | 'COMPLETE' | 'FAIL' | 'PRUNED';
export type Direction = 'minimize' | 'maximize';

/** What a sampler sees of a past trial. */
export interface TrialSummary {
  number: number;
  params: Config;
  state: TrialState;
  /** Objective value (seconds for fastest-safe, score for sn44); null when not computed. */
  value: number | null;
  /** Meets the objective's constraints (accuracy floor, no failed challenge). */
  feasible: boolean;
  /** How far from feasible (0 when feasible, larger is worse); used by constraint-aware samplers. */
  violation: number;
  /** The baseline's name when the trial measured a named preset, else null. */
  baseline: string | null;
}
