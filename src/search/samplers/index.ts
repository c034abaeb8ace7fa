import { AutotuneError } from '../../errors.js';
import { createGridSampler } from './grid.js';
import { createRandomSampler } from './random.js';
import { createTpeSampler, type TpeOptions } from './tpe/index.js';
import { SAMPLER_NAMES, type Sampler } from './types.js';

export interface SamplerOptions {
  tpe?: TpeOptions;
}

/** The sampler with this name ('grid', 'random' or 'tpe'). */
export function createSampler(name: string, options: SamplerOptions = {}): Sampler {
  switch (name) {
    case 'grid':
      return createGridSampler();
    case 'random':
      return createRandomSampler();
    case 'tpe':
      return createTpeSampler(options.tpe);
    default:
      throw new AutotuneError('E_USAGE', `unknown sampler ${JSON.stringify(name)}`, {
        hint: `use one of ${SAMPLER_NAMES.join(', ')}`,
        context: { sampler: name },
      });
  }
}
