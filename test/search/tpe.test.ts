import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/pipeline/types.js';
import { configKey, contains, createSampler, createTpeSampler, loadSpace, parseSpace } from '../../src/search/index.js';
import { rankTrials, splitTrials } from '../../src/search/samplers/tpe/split.js';
import type { TrialSummary } from '../../src/search/index.js';
import { bestSoFar, runStudy, syntheticObjective, syntheticSpace, type Outcome } from './synthetic.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const TRIALS = 60;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function compare(evaluate: (c: Config) => Outcome, direction: 'minimize' | 'maximize' = 'minimize') {
  const space = syntheticSpace();
  const run = (name: string) => SEEDS.map((seed) => runStudy(createSampler(name), space, evaluate, seed, TRIALS, direction));
  return { tpe: run('tpe'), random: run('random') };
}

/** Share of feasible trials in the second half of each study. */
const lateFeasible = (studies: TrialSummary[][]) =>
  mean(studies.map((h) => h.slice(TRIALS / 2).filter((t) => t.feasible).length / (TRIALS / 2)));

describe('TPE', () => {
  it('finds the planted optimum much better than random search (20 seeds x 60 trials)', () => {
    const { tpe, random } = compare((c) => ({ value: syntheticObjective(c) }));
    const tpeBest = mean(tpe.map(bestSoFar));
    const randomBest = mean(random.map(bestSoFar));
    expect(tpeBest).toBeLessThan(0.5 * randomBest);
    const wins = tpe.filter((h, i) => bestSoFar(h) < bestSoFar(random[i])).length;
    expect(wins).toBeGreaterThanOrEqual(14);
    // It concentrates: its later trials are far better on average than random ones.
    const late = (hs: TrialSummary[][]) => mean(hs.map((h) => mean(h.slice(TRIALS / 2).map((t) => t.value!))));
    expect(late(tpe)).toBeLessThan(0.6 * late(random));
  });

  it('maximises when asked to', () => {
    const { tpe, random } = compare((c) => ({ value: -syntheticObjective(c) }), 'maximize');
    // Values are minus the distance-like objective: the best is the largest, 0 at the optimum.
    const gap = (h: TrialSummary[]) => -Math.max(...h.map((t) => t.value!));
    expect(mean(tpe.map(gap))).toBeLessThan(0.7 * mean(random.map(gap)));
  });

  it('learns a constraint: later trials are mostly feasible', () => {
    // Feasible only for X <= 3 and Y <= 10 (the optimum is inside); violation grows with distance.
    const evaluate = (c: Config): Outcome => {
      const v = Math.max(0, (c.X as number) - 3) + Math.max(0, Math.log10(c.Y as number) - 1);
      return { value: syntheticObjective(c), feasible: v === 0, violation: v };
    };
    const { tpe, random } = compare(evaluate);
    expect(lateFeasible(tpe)).toBeGreaterThan(0.8);
    expect(lateFeasible(tpe)).toBeGreaterThan(lateFeasible(random) + 0.15);
  });

  it('prefers feasible trials to infeasible ones with better values', () => {
    // N > 40 looks 2 better but is infeasible: a constraint-blind TPE would chase it.
    const evaluate = (c: Config): Outcome => {
      const n = c.N as number;
      return { value: syntheticObjective(c) - (n > 40 ? 2 : 0), feasible: n <= 40, violation: Math.max(0, n - 40) };
    };
    const { tpe, random } = compare(evaluate);
    expect(lateFeasible(tpe)).toBeGreaterThan(0.9);
    expect(mean(tpe.map(bestSoFar))).toBeLessThan(0.7 * mean(random.map(bestSoFar)));
  });

  it('treats failed trials as bad and keeps clear of their region', () => {
    // Every config with C = a fails; TPE should stop proposing it once it has seen failures.
    const evaluate = (c: Config): Outcome => (c.C === 'a' ? { value: 0, failed: true } : { value: syntheticObjective(c) });
    const { tpe } = compare(evaluate);
    const lateFails = mean(tpe.map((h) => h.slice(TRIALS / 2).filter((t) => t.state === 'FAIL').length / (TRIALS / 2)));
    expect(lateFails).toBeLessThan(0.1);
  });

  it('avoids configs already tried when the space allows it', () => {
    const space = loadSpace('search-spaces/quick.yaml');
    for (const seed of [1, 2, 3]) {
      const h = runStudy(createSampler('tpe'), space, (c) => ({ value: (c.IMG_SIZE as number) / 100 + (c.FRAME_STRIDE as number) }), seed, 50);
      expect(new Set(h.map((t) => configKey(t.params))).size).toBe(50);
      for (const t of h) expect(contains(space, t.params)).toBeNull();
    }
  });

  it('still answers when every config was tried, and starts early in a tiny space', () => {
    const space = parseSpace('params:\n  A: { type: bool }\n  B: { type: bool }\nreference: { A: 0, B: 0 }\n', 'tiny.yaml');
    const h = runStudy(createTpeSampler(), space, (c) => ({ value: (c.A as number) + (c.B as number) }), 1, 8);
    expect(new Set(h.slice(0, 4).map((t) => configKey(t.params))).size).toBe(4);
    for (const t of h) expect(contains(space, t.params)).toBeNull();
    // After the 4 configs, it keeps re-proposing, and mostly the best one.
    expect(h.slice(4).filter((t) => t.params.A === 0 && t.params.B === 0).length).toBeGreaterThanOrEqual(3);
  });

  it('ignores PRUNED and RUNNING trials', () => {
    const space = syntheticSpace();
    const base = runStudy(createSampler('tpe'), space, (c) => ({ value: syntheticObjective(c) }), 4, 20);
    const noisy: TrialSummary[] = [
      ...base,
      { number: 20, params: base[0].params, state: 'PRUNED', value: -100, feasible: true, violation: 0, baseline: null },
      { number: 21, params: base[1].params, state: 'RUNNING', value: null, feasible: false, violation: 0, baseline: null },
    ];
    const ask = (history: TrialSummary[]) =>
      createSampler('tpe').ask({ space, history, seed: 4, trialNumber: 22, direction: 'minimize' });
    expect(configKey(ask(noisy)!)).toBe(configKey(ask([...base, ...noisy.slice(20).map((t) => ({ ...t, state: 'RUNNING' as const }))])!));
  });
});

describe('TPE split', () => {
  const t = (number: number, state: TrialSummary['state'], value: number | null, feasible: boolean, violation = 0): TrialSummary => ({
    number, params: {}, state, value, feasible, violation, baseline: null,
  });
  const trials = [
    t(0, 'COMPLETE', 5, true),
    t(1, 'COMPLETE', 1, false, 0.5),
    t(2, 'FAIL', null, false),
    t(3, 'COMPLETE', 3, true),
    t(4, 'COMPLETE', 0.5, false, 0.1),
    t(5, 'COMPLETE', null, true),
    t(6, 'COMPLETE', 9, true),
  ];

  it('ranks feasible by value, then infeasible by violation, then failures', () => {
    expect(rankTrials(trials, 'minimize').map((x) => x.number)).toEqual([3, 0, 6, 4, 1, 2, 5]);
    expect(rankTrials(trials, 'maximize').map((x) => x.number)).toEqual([6, 0, 3, 4, 1, 2, 5]);
  });

  it('puts failures in the bad group even when the good group is short of trials', () => {
    const failures = [t(0, 'FAIL', null, false), t(1, 'FAIL', null, false)];
    const { below, above } = splitTrials(failures, 'minimize', () => 2);
    expect(below).toEqual([]);
    expect(above).toHaveLength(2);
    const split = splitTrials(trials, 'minimize', () => 4);
    expect(split.below.map((x) => x.number)).toEqual([3, 0, 6, 4]);
    expect(split.above.map((x) => x.number)).toEqual([1, 2, 5]);
  });
});
