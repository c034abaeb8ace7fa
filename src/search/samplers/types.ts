import type { Config, Space } from '../space/types.js';

export type Direction = 'minimize' | 'maximize';

/** What a sampler sees of a past trial (the study's trial records, reduced to what samplers read). */
export interface TrialSummary {
  number: number;
  params: Config;
  state: 'RUNNING' | 'COMPLETE' | 'FAIL' | 'PRUNED';
  /** Objective value (seconds for fastest-safe, score for sn44); null when not computed. */
  value: number | null;
  /** Meets the objective's constraints (accuracy floor, no failed challenge). */
  feasible: boolean;
  /** How far from feasible (0 when feasible, larger is worse); used by constraint-aware samplers. */
  violation: number;
  /** The baseline's name when the trial measured a named preset, else null. */
  baseline: string | null;
  /**
   * Set for a trial measured elsewhere (another study, for a warm start, or another host of this
   * study): samplers learn from it, but it is not "tried" here, so its config may still be proposed.
   */
  origin?: string;
}

export interface AskContext {
  space: Space;
  /**
   * The study's trials so far (baselines included). RUNNING ones are pending: another worker measures
   * them now. No sampler proposes a pending config again; TPE counts them as the worst so far.
   */
  history: readonly TrialSummary[];
  /** The study's seed. */
  seed: number;
  /** The number the asked trial will get; with `seed` it fixes every random draw of this ask. */
  trialNumber: number;
  direction: Direction;
}

/**
 * Proposes the next config. Samplers keep no state between asks: what they propose depends only on
 * the context, so a resumed study asks the same things. `ask` returns a complete config of the space
 * (fixed knobs included, inactive params left out), or null when the space has nothing untried left
 * (only the grid sampler gets there); the runner ends the study then.
 */
export interface Sampler {
  readonly name: string;
  ask(ctx: AskContext): Config | null;
}

export type SamplerName = 'grid' | 'random' | 'tpe';
export const SAMPLER_NAMES: readonly SamplerName[] = ['grid', 'random', 'tpe'];
