// Uniform random search: each active param drawn independently (log-uniform on log scales, on the
// step grid where there is one), conditions respected, configs already tried redrawn a few times.
import type { Config, KnobValue, ParamSpec, Space } from '../space/types.js';
import type { Rng } from '../rng.js';
import { createRng } from '../rng.js';
import { isActive, orderedParams } from '../space/config.js';
import { choicesOf, snap, stepOf, tidy } from '../space/values.js';
import { triedCheck } from './history.js';
import type { AskContext, Sampler } from './types.js';

/** Stream id that separates this sampler's draws from other samplers' for the same trial. */
export const RANDOM_STREAM = 0x52414e44;
const REDRAWS = 32;

export function createRandomSampler(): Sampler {
  return {
    name: 'random',
    ask(ctx: AskContext): Config {
      const rng = createRng(ctx.seed, ctx.trialNumber, RANDOM_STREAM);
      return randomUntried(ctx.space, triedCheck(ctx.space, ctx.history), rng);
    },
  };
}

/** A random config not yet tried when one turns up within a few draws, else the last draw. */
export function randomUntried(space: Space, tried: (config: Config) => boolean, rng: Rng): Config {
  let config = randomConfig(space, rng);
  for (let i = 0; i < REDRAWS && tried(config); i++) config = randomConfig(space, rng);
  return config;
}

/** One uniformly random complete config. */
export function randomConfig(space: Space, rng: Rng): Config {
  const config: Config = { ...space.fixed };
  for (const p of orderedParams(space)) {
    if (isActive(p, config)) config[p.name] = randomValue(p, rng);
  }
  return config;
}

export function randomValue(p: ParamSpec, rng: Rng): KnobValue {
  const choices = choicesOf(p);
  if (choices) return rng.pick(choices);
  const low = p.low as number;
  const high = p.high as number;
  const step = stepOf(p);
  if (p.log) {
    // Ints: log-uniform over [low - 0.5, high + 0.5] then rounded, so every integer has its share.
    const a = Math.log(p.type === 'int' ? low - 0.5 : low);
    const b = Math.log(p.type === 'int' ? high + 0.5 : high);
    return snap(p, Math.exp(rng.uniform(a, b)));
  }
  if (step !== undefined) return tidy(low + rng.int(Math.round((high - low) / step) + 1) * step);
  return tidy(rng.uniform(low, high));
}
