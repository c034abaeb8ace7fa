import { AutotuneError } from '../../errors.js';
import type { Config } from '../../pipeline/types.js';
import type { Direction, TrialSummary } from '../../study/types.js';
import type { Space } from '../space/types.js';

export interface AskContext {
  space: Space;
  /** Every trial of the study so far, any state (baselines included). */
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
 * (fixed knobs included, inactive params left out). It throws SpaceExhaustedError when it has nothing
 * untried left to propose (only the grid sampler does); the runner ends the study there.
 */
export interface Sampler {
  readonly name: string;
  ask(ctx: AskContext): Config;
}

export type SamplerName = 'grid' | 'random' | 'tpe';
export const SAMPLER_NAMES: readonly SamplerName[] = ['grid', 'random', 'tpe'];

/** Thrown by `ask` when every config of the space has been tried: the normal end of a grid study. */
export class SpaceExhaustedError extends AutotuneError {
  constructor(space: Space, tried: number) {
    super('E_SPACE_EXHAUSTED', `every config of space ${JSON.stringify(space.name)} (${space.file}) has been tried (${tried} trials)`, {
      hint: 'the grid is complete: rank the trials, or widen the space / use --sampler tpe for more',
      context: { space: space.name, file: space.file, tried },
      exitCode: 0,
    });
    this.name = 'SpaceExhaustedError';
  }
}

export function isSpaceExhausted(err: unknown): err is SpaceExhaustedError {
  return err instanceof AutotuneError && err.code === 'E_SPACE_EXHAUSTED';
}
