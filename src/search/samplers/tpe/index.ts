// Tree-structured Parzen Estimator written for this project (after Optuna's independent TPE):
// after n_startup random trials, each active param (in condition order) takes the best of
// `candidates` draws from its good-group estimator l(x), ranked by l(x)/g(x). Estimators only see
// the trials in which the param was active. A proposal equal to a tried config is replaced by the
// best untried joint candidate, then by an untried random draw, when there is one. Trials still
// RUNNING (other workers' pending trials) count as observed with the worst value, in the bad group
// (Optuna's constant_liar), so workers asking at once spread out instead of piling onto one region.
import type { Config, KnobValue, ParamSpec, Space } from '../../space/types.js';
import { createRng, type Rng } from '../../rng.js';
import { isActive, orderedParams } from '../../space/config.js';
import { gridSize } from '../../space/grid.js';
import { choicesOf, normalizeValue } from '../../space/values.js';
import { triedCheck } from '../history.js';
import { randomUntried } from '../random.js';
import type { AskContext, Sampler, TrialSummary } from '../types.js';
import { createParzen, type Parzen } from './parzen.js';
import { defaultGamma, pendingTrials, splitTrials, usableTrials } from './split.js';

export interface TpeOptions {
  /** Random trials before TPE starts (default 10; at most a quarter of a small space's grid). */
  nStartup?: number;
  /** Draws from l(x) per param (default 24). */
  candidates?: number;
  /** Size of the good group for n usable trials (default min(ceil(0.1 n), 25)). */
  gamma?: (n: number) => number;
}

const TPE_STREAM = 0x54504531;
const JOINT_FACTOR = 4;

export function createTpeSampler(options: TpeOptions = {}): Sampler {
  const nStartup = options.nStartup ?? 10;
  const nCandidates = options.candidates ?? 24;
  const gamma = options.gamma ?? defaultGamma;
  if (!(Number.isInteger(nStartup) && nStartup >= 0)) throw new RangeError(`nStartup must be an integer >= 0, got ${nStartup}`);
  if (!(Number.isInteger(nCandidates) && nCandidates >= 1)) throw new RangeError(`candidates must be an integer >= 1, got ${nCandidates}`);

  return {
    name: 'tpe',
    ask(ctx: AskContext): Config {
      const { space } = ctx;
      const rng = createRng(ctx.seed, ctx.trialNumber, TPE_STREAM);
      const tried = triedCheck(space, ctx.history);
      const usable = usableTrials(ctx.history);
      if (usable.length < effectiveStartup(space, nStartup)) return randomUntried(space, tried, rng);

      const split = splitTrials(usable, ctx.direction, gamma);
      const below = split.below;
      const above = [...split.above, ...pendingTrials(ctx.history)];
      const estimators = new Map<string, { l: Parzen; g: Parzen }>();
      const estimatorOf = (p: ParamSpec): { l: Parzen; g: Parzen } => {
        let e = estimators.get(p.name);
        if (!e) {
          e = { l: createParzen(p, observations(p, below)), g: createParzen(p, observations(p, above)) };
          estimators.set(p.name, e);
        }
        return e;
      };

      // Per param, the best of the candidates by l/g (the product over params is then maximal too).
      const config: Config = { ...space.fixed };
      for (const p of orderedParams(space)) {
        if (!isActive(p, config)) continue;
        const { l, g } = estimatorOf(p);
        let best: KnobValue = l.sample(rng);
        let bestScore = l.logPdf(best) - g.logPdf(best);
        for (let i = 1; i < nCandidates; i++) {
          const v = l.sample(rng);
          const score = l.logPdf(v) - g.logPdf(v);
          if (score > bestScore) {
            best = v;
            bestScore = score;
          }
        }
        config[p.name] = best;
      }
      if (!tried(config)) return config;

      const joint = jointCandidates(space, estimatorOf, rng, nCandidates * JOINT_FACTOR);
      const untried = joint.find((c) => !tried(c.config));
      if (untried) return untried.config;
      const random = randomUntried(space, tried, rng);
      return tried(random) ? config : random;
    },
  };
}

/** The number of random trials before TPE takes over: fewer for spaces with few grid points. */
export function effectiveStartup(space: Space, nStartup: number): number {
  return Math.min(nStartup, Math.max(1, Math.floor(gridSize(space) / 4)));
}

/** The values a param took in the trials where it was active (values outside its domain skipped). */
function observations(p: ParamSpec, trials: readonly TrialSummary[]): KnobValue[] {
  const choices = choicesOf(p);
  const low = p.low as number;
  const high = p.high as number;
  const out: KnobValue[] = [];
  for (const t of trials) {
    const raw = t.params[p.name];
    if (raw === undefined || !isActive(p, t.params)) continue;
    const v = normalizeValue(raw);
    if (choices ? choices.includes(v) : typeof v === 'number' && v >= low && v <= high) out.push(v);
  }
  return out;
}

/** Whole configs drawn from l, best first by the summed log ratio over their active params. */
function jointCandidates(
  space: Space,
  estimatorOf: (p: ParamSpec) => { l: Parzen; g: Parzen },
  rng: Rng,
  count: number,
): { config: Config; score: number }[] {
  const out: { config: Config; score: number }[] = [];
  for (let i = 0; i < count; i++) {
    const config: Config = { ...space.fixed };
    let score = 0;
    for (const p of orderedParams(space)) {
      if (!isActive(p, config)) continue;
      const { l, g } = estimatorOf(p);
      const v = l.sample(rng);
      score += l.logPdf(v) - g.logPdf(v);
      config[p.name] = v;
    }
    out.push({ config, score });
  }
  return out.sort((a, b) => b.score - a.score);
}
