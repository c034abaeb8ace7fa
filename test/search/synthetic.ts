// A cheap synthetic study for sampler tests: a planted optimum over mixed and conditional params.
import { parseSpace } from '../../src/search/index.js';
import type { Sampler, Space } from '../../src/search/index.js';
import type { Config } from '../../src/pipeline/types.js';
import type { Direction, TrialSummary } from '../../src/search/index.js';

export const SYNTHETIC_YAML = `
name: synthetic
params:
  X: { type: float, low: -5, high: 5 }
  Y: { type: float, low: 0.01, high: 100, log: true }
  N: { type: int, low: 1, high: 64 }
  C: { type: categorical, choices: [a, b, c, d] }
  F: { type: bool }
  S: { type: int, low: 256, high: 4096, log: true, when: { F: 1 } }
reference: { X: 0, Y: 1, N: 1, C: a, F: 0 }
`;

export const syntheticSpace = (): Space => parseSpace(SYNTHETIC_YAML, 'synthetic.yaml');

/** Minimised; 0 at X=1.3, Y=10^0.5, N=17, C=c, F=1, S=1024. */
export function syntheticObjective(c: Config): number {
  const x = c.X as number;
  const y = c.Y as number;
  const n = c.N as number;
  let v = (x - 1.3) ** 2 / 4 + (Math.log10(y) - 0.5) ** 2 + ((n - 17) / 16) ** 2 + (c.C === 'c' ? 0 : 1);
  v += c.F === 1 ? (Math.log2(c.S as number) - 10) ** 2 / 4 : 0.3;
  return v;
}

export interface Outcome {
  value: number;
  feasible?: boolean;
  violation?: number;
  failed?: boolean;
}

/** Runs `trials` asks against `evaluate`, feeding each result back as history. */
export function runStudy(
  sampler: Sampler,
  space: Space,
  evaluate: (c: Config) => Outcome,
  seed: number,
  trials: number,
  direction: Direction = 'minimize',
): TrialSummary[] {
  const history: TrialSummary[] = [];
  for (let number = 0; number < trials; number++) {
    const params = sampler.ask({ space, history, seed, trialNumber: number, direction });
    if (params === null) break; // the space is exhausted
    const o = evaluate(params);
    history.push({
      number,
      params,
      state: o.failed ? 'FAIL' : 'COMPLETE',
      value: o.failed ? null : o.value,
      feasible: o.failed ? false : (o.feasible ?? true),
      violation: o.violation ?? 0,
      baseline: null,
    });
  }
  return history;
}

export function bestSoFar(history: readonly TrialSummary[]): number {
  let best = Infinity;
  for (const t of history) if (t.feasible && t.value !== null && t.value < best) best = t.value;
  return best;
}
