import { describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import {
  configKey,
  contains,
  createSampler,
  gridSize,
  loadSpace,
  parseSpace,
} from '../../src/search/index.js';
import type { TrialSummary } from '../../src/search/index.js';
import { runStudy, syntheticObjective, syntheticSpace } from './synthetic.js';

const objective = (c: Record<string, number | string | boolean>) => ({ value: syntheticObjective(c) });
const keys = (h: TrialSummary[]) => h.map((t) => configKey(t.params));

describe('createSampler', () => {
  it('names the samplers it knows when given another', () => {
    expect(() => createSampler('bayes')).toThrow(AutotuneError);
    expect(() => createSampler('bayes')).toThrow(/unknown sampler "bayes"/);
    try {
      createSampler('bayes');
    } catch (err) {
      expect((err as AutotuneError).hint).toBe('use one of grid, random, tpe');
    }
    for (const name of ['grid', 'random', 'tpe']) expect(createSampler(name).name).toBe(name);
  });
});

describe.each(['grid', 'random', 'tpe'])('%s sampler reproducibility', (name) => {
  const space = syntheticSpace();

  it('asks the same configs for the same seed and history, others for another seed', () => {
    const a = runStudy(createSampler(name), space, objective, 7, 30);
    const b = runStudy(createSampler(name), space, objective, 7, 30);
    const c = runStudy(createSampler(name), space, objective, 8, 30);
    expect(keys(a)).toEqual(keys(b));
    expect(keys(c)).not.toEqual(keys(a));
    for (const t of a) expect(contains(space, t.params)).toBeNull();
  });

  it('asks a resumed study what the original asked', () => {
    const full = runStudy(createSampler(name), space, objective, 3, 25);
    const fresh = createSampler(name);
    for (const n of [0, 11, 24]) {
      const again = fresh.ask({ space, history: full.slice(0, n), seed: 3, trialNumber: n, direction: 'minimize' });
      expect(configKey(again!)).toBe(configKey(full[n].params));
    }
  });
});

describe('grid sampler', () => {
  const space = loadSpace('search-spaces/quick.yaml');

  it('visits every config of the small space exactly once, then reports the space exhausted', () => {
    const n = gridSize(space);
    const history = runStudy(createSampler('grid'), space, () => ({ value: 1 }), 11, n);
    const seen = new Set(keys(history));
    expect(seen.size).toBe(n);
    for (const t of history) expect(contains(space, t.params)).toBeNull();
    const ask = () => createSampler('grid').ask({ space, history, seed: 11, trialNumber: n, direction: 'minimize' });
    expect(ask()).toBeNull();
    // Not a one-off: asked again with the same history, it has still nothing to propose.
    expect(ask()).toBeNull();
    const other = runStudy(createSampler('grid'), space, () => ({ value: 1 }), 12, n);
    expect(keys(other)).not.toEqual(keys(history));
    expect(new Set(keys(other))).toEqual(seen);
  });

  it('skips configs already in the history, such as the baselines', () => {
    const history: TrialSummary[] = space.baselines.map((b, number) => ({
      number, params: b.config, state: 'COMPLETE', value: 1, feasible: true, violation: 0, baseline: b.name,
    }));
    const sampler = createSampler('grid');
    const asked = new Set<string>();
    const all = [...history];
    for (let i = 0; i < gridSize(space) - 3; i++) {
      const c = sampler.ask({ space, history: all, seed: 5, trialNumber: all.length, direction: 'minimize' });
      asked.add(configKey(c!));
      all.push({ number: all.length, params: c!, state: 'RUNNING', value: null, feasible: false, violation: 0, baseline: null });
    }
    for (const b of space.baselines) expect(asked.has(configKey(b.config))).toBe(false);
    expect(asked.size).toBe(gridSize(space) - space.baselines.length);
  });

  it('addresses a huge space without enumerating it', () => {
    const sn44 = loadSpace('search-spaces/sn44.yaml');
    expect(gridSize(sn44)).toBeGreaterThan(1e9);
    const history = runStudy(createSampler('grid'), sn44, () => ({ value: 1 }), 1, 20);
    expect(new Set(keys(history)).size).toBe(20);
    for (const t of history) expect(contains(sn44, t.params)).toBeNull();
  });
});

describe('random sampler', () => {
  const space = parseSpace(
    `
params:
  I: { type: int, low: 320, high: 960, step: 32 }
  L: { type: float, low: 0.01, high: 100, log: true }
  S: { type: float, low: 0.1, high: 0.7, step: 0.05 }
  B: { type: int, low: 1, high: 64, log: true }
  G: { type: bool }
  W: { type: int, low: 1, high: 3, when: { G: 1 } }
  C: { type: categorical, choices: [a, b, c] }
reference: { I: 960, L: 1, S: 0.1, B: 1, G: 0, C: a }
`,
    'random.yaml',
  );
  const history = runStudy(createSampler('random'), space, () => ({ value: 1 }), 21, 2000);
  const values = (name: string) => history.filter((t) => name in t.params).map((t) => t.params[name] as number);

  it('stays inside ranges and on steps, and sets conditional knobs only when active', () => {
    for (const t of history) expect(contains(space, t.params)).toBeNull();
    expect(new Set(values('I')).size).toBe(21);
    expect(new Set(values('S'))).toEqual(new Set([0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]));
    expect(values('W').length).toBe(history.filter((t) => t.params.G === 1).length);
    const gOn = values('W').length / history.length;
    expect(gOn).toBeGreaterThan(0.4);
    expect(gOn).toBeLessThan(0.6);
  });

  it('draws log-scale knobs log-uniformly', () => {
    const below = values('L').filter((v) => v < 1).length / history.length; // 1 is the geometric midpoint
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
    const small = values('B').filter((v) => v <= 8).length / history.length; // about half of log(64)
    expect(small).toBeGreaterThan(0.4);
    expect(small).toBeLessThan(0.6);
    const linear = values('I').filter((v) => v < 640).length / history.length;
    expect(linear).toBeGreaterThan(0.4);
    expect(linear).toBeLessThan(0.6);
  });
});
