import { describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import {
  completeConfig,
  configKey,
  contains,
  gridPoint,
  gridSize,
  isActive,
  loadSpace,
  parseSpace,
  pinParams,
  restrictToCapabilities,
  searchKey,
} from '../../src/search/index.js';

const SN44_KNOBS = [
  'PARTIAL_DOWNLOAD', 'PARTIAL_DOWNLOAD_MB', 'CHUNKED_STREAMING', 'STREAM_MIN_START_BYTES', 'STREAM_BUFFER_TIMEOUT_S',
  'ENABLE_HTTP2', 'USE_CONNECTION_POOL', 'USE_NVDEC', 'IMG_SIZE', 'BATCH_SIZE', 'FRAME_STRIDE', 'CONF_THRESHOLD',
  'RAMP_UP_FIRST_BATCH', 'TIME_BUDGET_S', 'START_BUDGET_AFTER_FIRST_FRAME',
];

describe('search-spaces/sn44.yaml', () => {
  const space = loadSpace('search-spaces/sn44.yaml');

  it('searches every knob of the fork', () => {
    expect(space.name).toBe('sn44');
    expect(space.params.map((p) => p.name).sort()).toEqual([...SN44_KNOBS].sort());
  });

  it('has the fork defaults and its QUICK and ULTRA presets as baselines', () => {
    expect(space.baselines.map((b) => b.name)).toEqual(['fork-default', 'QUICK', 'ULTRA']);
    const [fork, quick, ultra] = space.baselines.map((b) => b.config);
    expect(fork).toMatchObject({ PARTIAL_DOWNLOAD: 1, PARTIAL_DOWNLOAD_MB: 4, CHUNKED_STREAMING: 0, USE_NVDEC: 1, IMG_SIZE: 640, BATCH_SIZE: 32, FRAME_STRIDE: 2, CONF_THRESHOLD: 0.35, TIME_BUDGET_S: 8 });
    expect(fork).not.toHaveProperty('STREAM_MIN_START_BYTES');
    expect(quick).toMatchObject({ IMG_SIZE: 416, BATCH_SIZE: 48, FRAME_STRIDE: 5, TIME_BUDGET_S: 2, USE_NVDEC: 1, PARTIAL_DOWNLOAD_MB: 4 });
    expect(ultra).toMatchObject({ CHUNKED_STREAMING: 1, PARTIAL_DOWNLOAD_MB: 2, STREAM_MIN_START_BYTES: 262144, STREAM_BUFFER_TIMEOUT_S: 0.1, IMG_SIZE: 384, BATCH_SIZE: 64, FRAME_STRIDE: 6, CONF_THRESHOLD: 0.6, RAMP_UP_FIRST_BATCH: 1, TIME_BUDGET_S: 1.5 });
    for (const b of space.baselines) expect(contains(space, b.config)).toBeNull();
  });

  it('has a reference with full download, every frame, the largest input and no budget', () => {
    expect(space.reference).toMatchObject({ PARTIAL_DOWNLOAD: 0, FRAME_STRIDE: 1, IMG_SIZE: 960, USE_NVDEC: 0 });
    expect(space.reference.TIME_BUDGET_S as number).toBeGreaterThan(240);
    expect(space.reference).not.toHaveProperty('PARTIAL_DOWNLOAD_MB');
  });

  it('pins USE_NVDEC off on a host without NVDEC and says which baselines changed', () => {
    const { space: cpu, dropped } = restrictToCapabilities(space, { nvdec: false, cuda: false });
    expect(cpu.params.map((p) => p.name)).not.toContain('USE_NVDEC');
    expect(cpu.fixed.USE_NVDEC).toBe(0);
    expect(dropped).toHaveLength(1);
    expect(dropped[0].name).toBe('USE_NVDEC');
    expect(dropped[0].reason).toContain('USE_NVDEC requires nvdec');
    expect(dropped[0].reason).toContain('pinned to 0');
    expect(dropped[0].reason).toContain('baseline QUICK (was 1)');
    for (const b of cpu.baselines) {
      expect(b.config.USE_NVDEC).toBe(0);
      expect(contains(cpu, b.config)).toBeNull();
    }
    // The original is untouched, and a host with NVDEC keeps the knob.
    expect(space.params.map((p) => p.name)).toContain('USE_NVDEC');
    const gpu = restrictToCapabilities(space, { nvdec: true, cuda: true });
    expect(gpu.dropped).toEqual([]);
    expect(gpu.space).toBe(space);
  });
});

describe('pinParams', () => {
  const space = loadSpace('search-spaces/sn44.yaml');
  const pin = { name: 'IMG_SIZE', value: 640, because: 'IMG_SIZE: the model takes only 640' };

  it('holds a searched knob at one value everywhere and names every preset it changed', () => {
    const { space: pinned, dropped } = pinParams(space, [pin]);
    expect(pinned.params.map((p) => p.name)).not.toContain('IMG_SIZE');
    expect(pinned.fixed.IMG_SIZE).toBe(640);
    expect(pinned.reference.IMG_SIZE).toBe(640);
    expect(pinned.baselines.map((b) => b.config.IMG_SIZE)).toEqual([640, 640, 640]);
    for (const b of pinned.baselines) expect(contains(pinned, b.config)).toBeNull();
    expect(dropped).toEqual([
      {
        name: 'IMG_SIZE',
        reason: 'IMG_SIZE: the model takes only 640: pinned to 640 and not searched; overridden in reference (was 960), baseline QUICK (was 416), baseline ULTRA (was 384)',
      },
    ]);
  });

  it('overrides a fixed knob, and reports nothing when nothing changes', () => {
    const yaml = (size: number) => `name: f\nparams:\n  A: { type: bool, default: 0 }\nfixed:\n  IMG_SIZE: ${size}\nreference:\n  A: 0\n`;
    const fixed = parseSpace(yaml(480), 'f.yaml');
    const { space: pinned, dropped } = pinParams(fixed, [pin]);
    expect(pinned.fixed.IMG_SIZE).toBe(640);
    expect(dropped[0]!.reason).toBe('IMG_SIZE: the model takes only 640: pinned to 640; overridden in fixed (was 480), reference (was 480)');
    const same = parseSpace(yaml(640), 'f.yaml');
    expect(pinParams(same, [pin]).dropped).toEqual([]);
    expect(pinParams(space, []).space).toBe(space);
  });
});

describe('search-spaces/quick.yaml', () => {
  const space = loadSpace('search-spaces/quick.yaml');

  it('is small, conditional, and has adapted baselines and a cheap reference', () => {
    expect(space.name).toBe('quick');
    expect(gridSize(space)).toBe(324);
    expect(space.baselines.map((b) => b.name)).toEqual(['fork-default', 'QUICK', 'ULTRA']);
    for (const b of space.baselines) expect(contains(space, b.config)).toBeNull();
    expect(space.reference).toMatchObject({ IMG_SIZE: 640, FRAME_STRIDE: 1, CONF_THRESHOLD: 0.25, PARTIAL_DOWNLOAD: 0 });
    expect(space.baselines[2].config).toMatchObject({ CHUNKED_STREAMING: 1, STREAM_MIN_START_BYTES: 262144 });
  });
});

const SMALL = `
name: small
params:
  STREAM: { type: bool, default: 0 }
  START: { type: int, low: 1, high: 4, when: { STREAM: 1 }, default: 2 }
  MODE: { type: categorical, choices: [a, b, c], default: a }
  DEEP: { type: float, low: 0.5, high: 1.5, step: 0.5, when: { START: [3, 4], MODE: c } }
  GPU: { type: bool, requires: [cuda] }
  SIZE: { type: int, low: 320, high: 640, step: 160, default: 480, requires: [cuda] }
  EXTRA: { type: bool, when: { GPU: 1 } }
fixed: { POOL: 1 }
reference: { STREAM: 0, MODE: a, GPU: 1, SIZE: 640, EXTRA: 1 }
baselines:
  plain: { GPU: 0, SIZE: 480 }
  fast: { STREAM: 1, START: 4, MODE: c, DEEP: 1.5, GPU: 1, SIZE: 320, EXTRA: 1 }
`;

describe('configs against a space', () => {
  const space = parseSpace(SMALL, 'small.yaml');

  it('evaluates conditions, nested and with lists of values', () => {
    const [, start, , deep] = space.params;
    expect(isActive(start, { STREAM: 0 })).toBe(false);
    expect(isActive(start, { STREAM: 1 })).toBe(true);
    expect(isActive(start, { STREAM: true })).toBe(true);
    expect(isActive(deep, { STREAM: 1, START: 3, MODE: 'c' })).toBe(true);
    expect(isActive(deep, { STREAM: 1, START: 2, MODE: 'c' })).toBe(false);
    expect(isActive(deep, { STREAM: 0, MODE: 'c' })).toBe(false);
  });

  it('completes a partial config: fixed values, defaults, inactive params dropped, booleans as 0/1', () => {
    const full = completeConfig(space, { STREAM: true, START: 3, MODE: 'c', DEEP: 1, GPU: false, EXTRA: 1 });
    expect(full).toEqual({ POOL: 1, STREAM: 1, START: 3, MODE: 'c', DEEP: 1, GPU: 0, SIZE: 480 });
    expect(completeConfig(space, { STREAM: 0, START: 4, GPU: 0 })).toEqual({ POOL: 1, STREAM: 0, MODE: 'a', GPU: 0, SIZE: 480 });
    expect(contains(space, full)).toBeNull();
  });

  it('rejects bad values with the knob and the value', () => {
    const bad = (partial: Record<string, number | string | boolean>): AutotuneError => {
      try {
        completeConfig(space, partial, { label: 'trial' });
      } catch (err) {
        return err as AutotuneError;
      }
      throw new Error('expected an error');
    };
    expect(bad({ STREAM: 1, START: 9, GPU: 0 }).message).toBe('small.yaml: trial.START: 9 is outside 1..4');
    expect(bad({ MODE: 'z', GPU: 0 }).message).toContain('trial.MODE: "z" is not one of "a", "b", "c"');
    expect(bad({ SIZE: 400, GPU: 0 }).message).toContain('trial.SIZE: 400 is not on the step grid 320 + k*160');
    expect(bad({ STREAM: 2, GPU: 0 }).message).toContain('trial.STREAM: 2 is not one of 0, 1');
    expect(bad({ POOL: 0, GPU: 0 }).message).toContain('trial.POOL: 0 differs from the fixed value 1');
    expect(bad({ NOPE: 1, GPU: 0 }).message).toContain('trial.NOPE: unknown knob "NOPE"');
    expect(bad({ STREAM: 0 }).message).toContain('trial.GPU: no value, and the param has no default');
    expect(bad({ STREAM: 0 }).code).toBe('E_SPACE_INVALID');
  });

  it('says why a config is not in the space', () => {
    const ok = space.baselines[0].config;
    expect(contains(space, ok)).toBeNull();
    expect(contains(space, { ...ok, START: 2 })).toContain('START is set but inactive');
    expect(contains(space, { ...ok, MODE: 'q' })).toContain('MODE: "q" is not one of');
    const { POOL: _pool, ...noPool } = ok;
    expect(contains(space, noPool)).toBe('POOL is missing (fixed to 1)');
    const { MODE: _mode, ...noMode } = ok;
    expect(contains(space, noMode)).toBe('MODE is missing');
    expect(contains(space, { ...ok, OTHER: 1 })).toContain('OTHER is not a knob');
  });

  it('reads YAML booleans as 0/1 everywhere', () => {
    const s = parseSpace(
      'params:\n  B: { type: bool, default: true }\n  C: { type: int, low: 1, high: 2, when: { B: true } }\nfixed: { P: true }\nreference: { C: 1 }\nbaselines:\n  off: { B: false }\n',
      'bools.yaml',
    );
    expect(s.params[0].default).toBe(1);
    expect(s.params[1].when).toEqual({ B: 1 });
    expect(s.fixed).toEqual({ P: 1 });
    expect(s.reference).toEqual({ P: 1, B: 1, C: 1 });
    expect(s.baselines[0].config).toEqual({ P: 1, B: 0 });
  });

  it('keys configs canonically', () => {
    expect(configKey({ B: 1, A: 'x' })).toBe(configKey({ A: 'x', B: true }));
    expect(configKey({ A: 1 })).not.toBe(configKey({ A: 2 }));
    expect(configKey({ A: 1 })).not.toBe(configKey({ A: '1' }));
    expect(searchKey(space, { POOL: 1, STREAM: 0, START: 3, MODE: 'a', GPU: 0, SIZE: 480 })).toBe(
      searchKey(space, { STREAM: 0, MODE: 'a', GPU: 0, SIZE: 480 }),
    );
  });

  it('counts and addresses the grid with conditions', () => {
    // Per GPU value: STREAM 0 -> 3 MODEs; STREAM 1 -> START 1,2 with 3 MODEs each, START 3,4 with MODE a, b
    // or c x 3 DEEP values = 19; times 3 SIZEs; GPU=1 doubles that with EXTRA.
    const perGpu = 3 + 2 * 3 + 2 * (2 + 3);
    expect(gridSize(space)).toBe(perGpu * 3 + perGpu * 3 * 2);
    const keys = new Set<string>();
    for (let i = 0; i < gridSize(space); i++) {
      const c = gridPoint(space, i);
      expect(contains(space, c)).toBeNull();
      keys.add(configKey(c));
    }
    expect(keys.size).toBe(gridSize(space));
  });

  it('pins capability knobs: bools to 0, others to their default; dependants become inactive', () => {
    const { space: cpu, dropped } = restrictToCapabilities(space, {});
    expect(dropped.map((d) => d.name)).toEqual(['GPU', 'SIZE']);
    expect(dropped[0].reason).toContain('GPU requires cuda, which this host lacks: pinned to 0');
    expect(dropped[0].reason).toContain('reference (was 1)');
    expect(dropped[0].reason).toContain('baseline fast (was 1)');
    expect(dropped[1].reason).toContain('pinned to 480');
    expect(cpu.fixed).toEqual({ POOL: 1, GPU: 0, SIZE: 480 });
    expect(cpu.reference).toEqual({ POOL: 1, GPU: 0, SIZE: 480, STREAM: 0, MODE: 'a' });
    const fast = cpu.baselines.find((b) => b.name === 'fast')!.config;
    expect(fast).not.toHaveProperty('EXTRA');
    expect(fast.SIZE).toBe(480);
    expect(contains(cpu, fast)).toBeNull();
  });
});
