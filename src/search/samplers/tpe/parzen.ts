// Univariate Parzen estimators for TPE: over the values one param took in a group of trials, plus a
// wide prior component so unseen regions keep some mass.
//  - numeric: truncated Gaussian kernels in the param's internal space (log space for log params);
//    bandwidth by a Scott-like rule, clipped; discrete params (ints, floats with a step) get the
//    probability mass of each value's bin, so every grid value is weighed fairly.
//  - categorical/bool: counts smoothed per observation, plus a uniform prior.
import type { KnobValue, ParamSpec } from '../../space/types.js';
import type { Rng } from '../../rng.js';
import { choicesOf, snap, stepOf } from '../../space/values.js';
import { logPhi, normalMass } from './normal.js';

export const PRIOR_WEIGHT = 1;
/** Kernel width as a fraction of the range before the n^(-1/5) shrink. */
const BANDWIDTH = 0.2;
const LOG_FLOOR = -700;

export interface Parzen {
  sample(rng: Rng): KnobValue;
  logPdf(value: KnobValue): number;
}

export function createParzen(param: ParamSpec, observations: KnobValue[]): Parzen {
  const choices = choicesOf(param);
  return choices ? categoricalParzen(choices, observations) : numericParzen(param, observations as number[]);
}

function categoricalParzen(choices: KnobValue[], observations: KnobValue[]): Parzen {
  const k = choices.length;
  // Each observation is a kernel that keeps prior/kernels of mass on every choice (as Optuna does),
  // so a choice the group never took keeps a fair chance; the prior kernel is uniform.
  const kernels = observations.length + 1;
  const smooth = PRIOR_WEIGHT / kernels;
  const rowSum = k * smooth + 1;
  const weights = choices.map(() => PRIOR_WEIGHT / k + (observations.length * smooth) / rowSum);
  for (const v of observations) {
    const i = choices.indexOf(v);
    if (i >= 0) weights[i] += 1 / rowSum;
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const logProbs = weights.map((w) => Math.log(w / total));
  return {
    sample: (rng) => choices[rng.weighted(weights)],
    logPdf: (value) => {
      const i = choices.indexOf(value);
      return i < 0 ? LOG_FLOOR : logProbs[i];
    },
  };
}

function numericParzen(param: ParamSpec, observations: number[]): Parzen {
  const log = param.log === true;
  const to = log ? Math.log : (x: number): number => x;
  const from = log ? Math.exp : (x: number): number => x;
  const step = stepOf(param);
  const low = param.low as number;
  const high = param.high as number;
  const half = step !== undefined ? step / 2 : 0;
  const lowI = to(low - half);
  const highI = to(high + half);
  const range = highI - lowI || 1;

  const n = observations.length;
  // Kernels on the same value share one component (discrete params repeat values a lot).
  const merged = new Map<number, number>();
  for (const x of observations) merged.set(x, (merged.get(x) ?? 0) + 1);
  const count = merged.size + 1;
  const mus = new Float64Array(count);
  const sigmas = new Float64Array(count);
  const weights = new Float64Array(count);
  const norms = new Float64Array(count); // weight / truncation mass
  const minSigma = range / Math.min(100, 1 + n);
  const sigma = Math.min(range, Math.max(minSigma, BANDWIDTH * range * Math.pow(Math.max(n, 1), -0.2)));
  const totalWeight = n + PRIOR_WEIGHT;
  let i = 0;
  for (const [x, w] of merged) {
    mus[i] = to(x);
    sigmas[i] = sigma;
    weights[i] = w / totalWeight;
    i++;
  }
  mus[i] = (lowI + highI) / 2;
  sigmas[i] = range;
  weights[i] = PRIOR_WEIGHT / totalWeight;
  for (let k = 0; k < count; k++) {
    const z = normalMass((lowI - mus[k]) / sigmas[k], (highI - mus[k]) / sigmas[k]);
    norms[k] = weights[k] / Math.max(z, 1e-300);
  }
  const weightList = Array.from(weights);
  const cache = new Map<number, number>();

  return {
    sample(rng) {
      const k = rng.weighted(weightList);
      let y = mus[k];
      for (let tries = 0; tries < 100; tries++) {
        const draw = mus[k] + sigmas[k] * rng.normal();
        if (draw >= lowI && draw <= highI) {
          y = draw;
          break;
        }
        if (tries === 99) y = Math.min(highI, Math.max(lowI, draw));
      }
      return snap(param, from(y));
    },
    logPdf(value) {
      const x = value as number;
      const known = cache.get(x);
      if (known !== undefined) return known;
      let total = 0;
      if (step !== undefined) {
        const a = to(Math.max(low - half, x - half));
        const b = to(Math.min(high + half, x + half));
        for (let i = 0; i < count; i++) {
          total += norms[i] * normalMass((a - mus[i]) / sigmas[i], (b - mus[i]) / sigmas[i]);
        }
      } else {
        const y = to(x);
        for (let i = 0; i < count; i++) {
          const z = (y - mus[i]) / sigmas[i];
          total += (norms[i] / sigmas[i]) * Math.exp(logPhi(z));
        }
      }
      const result = total > 0 ? Math.max(LOG_FLOOR, Math.log(total)) : LOG_FLOOR;
      cache.set(x, result);
      return result;
    },
  };
}
