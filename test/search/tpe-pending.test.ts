// TPE with other workers' running trials in the history (pending): a constant liar counts them as the
// worst so far, so a worker asking while others measure proposes elsewhere.
import { describe, expect, it } from 'vitest';
import { configKey, createSampler, type Config, type TrialSummary } from '../../src/search/index.js';
import { runStudy, syntheticObjective, syntheticSpace } from './synthetic.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const TRIALS = 40;
const space = syntheticSpace();
const tpe = createSampler('tpe');
const ask = (history: TrialSummary[], seed: number) => tpe.ask({ space, history, seed, trialNumber: TRIALS + 1, direction: 'minimize' })!;
const pending = (params: Config, number: number): TrialSummary => ({
  number,
  params,
  state: 'RUNNING',
  value: null,
  feasible: false,
  violation: 0,
  baseline: null,
});

describe('TPE with pending trials', () => {
  const studies = SEEDS.map((seed) => ({ seed, history: runStudy(tpe, space, (c) => ({ value: syntheticObjective(c) }), seed, TRIALS) }));

  it('never proposes a config another worker is measuring', () => {
    for (const { seed, history } of studies) {
      const alone = ask(history, seed);
      const withPending = ask([...history, pending(alone, TRIALS)], seed);
      expect(configKey(withPending)).not.toBe(configKey(alone));
    }
  });

  it('moves away from a pending trial near its proposal (constant liar), not only off the exact config', () => {
    let moved = 0;
    let nearer = 0;
    let farther = 0;
    for (const { seed, history } of studies) {
      const alone = ask(history, seed);
      // Another worker measures a neighbour of what this one would propose: X differs a little.
      const neighbour = { ...alone, X: Math.min(5, (alone.X as number) + 0.05) };
      const withPending = ask([...history, pending(neighbour, TRIALS)], seed);
      if (configKey(withPending) !== configKey(alone)) moved++;
      const before = Math.abs((alone.X as number) - (neighbour.X as number));
      const after = Math.abs((withPending.X as number) - (neighbour.X as number));
      if (after > before) farther++;
      if (after < before) nearer++;
    }
    // Without the liar the pending trial is invisible: the same seed and history give the same config.
    expect(moved).toBe(SEEDS.length);
    expect(farther).toBeGreaterThan(nearer);
  });

  it('spreads workers asking at once: their proposals are farther apart than without pending trials', () => {
    const spread = (configs: Config[]) => {
      let sum = 0;
      let pairs = 0;
      for (let i = 0; i < configs.length; i++)
        for (let j = i + 1; j < configs.length; j++) {
          sum += Math.abs((configs[i]!.X as number) - (configs[j]!.X as number)) + Math.abs(Math.log10(configs[i]!.Y as number) - Math.log10(configs[j]!.Y as number));
          pairs++;
        }
      return sum / pairs;
    };
    let liar = 0;
    let blind = 0;
    for (const { seed, history } of studies) {
      // Four workers ask one after another before any result is in; each sees the others' trials as pending.
      const seen: TrialSummary[] = [...history];
      const withLiar: Config[] = [];
      const without: Config[] = [];
      for (let w = 0; w < 4; w++) {
        const trialNumber = TRIALS + w;
        const c = tpe.ask({ space, history: seen, seed, trialNumber, direction: 'minimize' })!;
        withLiar.push(c);
        seen.push(pending(c, trialNumber));
        without.push(tpe.ask({ space, history, seed, trialNumber, direction: 'minimize' })!);
      }
      liar += spread(withLiar);
      blind += spread(without);
    }
    expect(liar).toBeGreaterThan(blind);
  });
});
