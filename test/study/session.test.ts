// The study session as a seam: any evaluator factory plugs in; the space's knobs are checked against
// what that evaluator understands before anything opens; the space's reference config reaches the
// evaluator whole (with the real pipeline on a lab clip).
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { KNOB_NAMES } from '../../src/pipeline/challenge/settings.js';
import { pipelineEvaluatorFactory } from '../../src/pipeline/factory.js';
import type { EvaluatorContext, EvaluatorFactory, KnobNames } from '../../src/pipeline/types.js';
import { openStorage } from '../../src/store/index.js';
import { openSession, type SessionSettings } from '../../src/study/session.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { FakeEvaluator } from './fixtures/fake-evaluator.js';

const quiet = { say: () => {}, warn: () => {}, tty: false };

function workspace(space: string) {
  const dir = mkdtempSync(join(tmpdir(), 'autotune-session-'));
  const spacePath = join(dir, 'space.yaml');
  writeFileSync(spacePath, space);
  const settings: SessionSettings = {
    space: spacePath,
    study: 'session',
    db: join(dir, 'results.db'),
    sampler: 'grid',
    seed: 1,
    trials: 2,
    timeLimitMs: null,
    repeats: { kind: 'fixed', repeats: 1 },
    racing: { ...DEFAULT_RACE, enabled: false },
    control: null,
    warmup: 0,
    objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 },
    confirmTop: 0,
    confirmRepeats: 0,
    device: 'cpu',
    // Nothing listens on port 9: the network probe fails, which the session notes and goes past.
    source: { kind: 'urls', urls: ['http://127.0.0.1:9/a.mp4'] },
    ca: undefined,
  };
  return { dir, spacePath, settings };
}

/** A factory of fake evaluators that records what it was asked to create. */
function fakeFactory(knobs: KnobNames) {
  const created: EvaluatorContext[] = [];
  const factory: EvaluatorFactory<FakeEvaluator> = {
    name: 'the fake evaluator',
    knobs,
    settings: { fake: true },
    probesHost: false,
    samplesOver: 'https',
    async create(context) {
      created.push(context);
      return new FakeEvaluator();
    },
  };
  return { factory, created };
}

const SPACE = `
name: tiny
params:
  IMG_SIZ: { type: int, low: 1, high: 2 }
  FRAME_STRIDE: { type: categorical, choices: [1, 2], default: 2 }
fixed: { BATCH_SIZE: 8 }
reference: { IMG_SIZ: 2, FRAME_STRIDE: 1, BATCH_SIZE: 4 }
`;

describe('openSession', () => {
  it('refuses a knob the evaluator does not understand before it opens a store or creates the evaluator', async () => {
    const { settings, spacePath } = workspace(SPACE);
    const { factory, created } = fakeFactory(['IMG_SIZE', 'FRAME_STRIDE', 'BATCH_SIZE']);
    const error = await openSession(settings, factory, quiet).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(AutotuneError);
    expect((error as AutotuneError).code).toBe('E_SPACE_INVALID');
    expect((error as AutotuneError).toLine()).toBe(
      `${spacePath}:4: params.IMG_SIZ: unknown knob "IMG_SIZ", did you mean IMG_SIZE? ` +
        '(the fake evaluator understands IMG_SIZE, FRAME_STRIDE, BATCH_SIZE; fix the name or remove the knob)',
    );
    expect(created).toHaveLength(0);
    expect(existsSync(settings.db)).toBe(false);
  });

  it('runs the same space on an evaluator that takes any knob, handing it the whole reference config', async () => {
    const { settings } = workspace(SPACE);
    const { factory, created } = fakeFactory('any');
    const session = await openSession(settings, factory, quiet);
    try {
      expect(created).toHaveLength(1);
      expect(created[0]!.reference).toEqual({ IMG_SIZ: 2, FRAME_STRIDE: 1, BATCH_SIZE: 4 });
      const result = await session.run();
      expect(result.trialsRun).toBe(2);
      expect(session.evaluator.calls.map((c) => c.config.BATCH_SIZE)).toEqual([8, 8]);
    } finally {
      await session.close();
    }
    // The study records which evaluator measured it, with the factory's settings.
    const storage = await openStorage(settings.db);
    try {
      expect((await storage.getStudy('session'))?.settings).toMatchObject({ evaluator: 'the fake evaluator', fake: true, sampler: 'grid' });
    } finally {
      await storage.close();
    }
  });

  it("runs the pipeline's reference with the space's reference config, BATCH_SIZE 4 included", async () => {
    const { dir, settings } = workspace(`
name: tiny
params:
  FRAME_STRIDE: { type: categorical, choices: [1, 2], default: 2 }
fixed: { IMG_SIZE: 224, BATCH_SIZE: 8, USE_NVDEC: 0, PARTIAL_DOWNLOAD: 0, TIME_BUDGET_S: 0 }
reference: { FRAME_STRIDE: 1, BATCH_SIZE: 4 }
`);
    const samples = join(dir, 'samples');
    mkdirSync(samples);
    const clip = await labClip({ frames: 12, width: 320, height: 180 });
    copyFileSync(clip.path, join(samples, 'clip.mp4'));
    const model = join(dir, 'lab-detector.onnx');
    writeFileSync(model, buildLabDetector().bytes);
    const lines: string[] = [];
    const session = await openSession(
      { ...settings, source: { kind: 'samples', dir: samples, profile: undefined } },
      pipelineEvaluatorFactory({ model, device: 'cpu' }),
      { ...quiet, say: (line) => lines.push(line) },
    );
    try {
      const expected = { IMG_SIZE: 224, BATCH_SIZE: 4, USE_NVDEC: 0, PARTIAL_DOWNLOAD: 0, TIME_BUDGET_S: 0, FRAME_STRIDE: 1 };
      expect(session.space.reference).toEqual(expected);
      const reference = await session.evaluator.reference(session.videos[0]!);
      expect(reference?.config).toEqual(expected);
      expect(reference?.answer).toHaveLength(12);
      expect(lines.find((l) => l.startsWith('reference: computing'))).toContain('BATCH_SIZE 4,');
      // Kept in the study's store, under the key of that config.
      expect(await session.storage.getReference(reference!.key)).toMatchObject({ config: expected });
    } finally {
      await session.close();
    }
  });

  it("lets the factory fit the space before anything opens, and stop the study in its preflight before it is created", async () => {
    const { settings } = workspace(SPACE);
    const { factory, created } = fakeFactory('any');
    const seen: { space?: string; storeBefore?: boolean; video?: string } = {};
    const fitted: EvaluatorFactory<FakeEvaluator> = {
      ...factory,
      async fitSpace(space) {
        seen.space = space.name;
        // Nothing is opened yet: the store is made after the space is final.
        seen.storeBefore ??= existsSync(settings.db);
        return { ...space, fixed: { ...space.fixed, BATCH_SIZE: 16 } };
      },
      async preflight(evaluator, video) {
        seen.video = video.url;
        expect(evaluator).toBeInstanceOf(FakeEvaluator);
        throw new AutotuneError('E_MODEL_CHECK', 'the fake evaluator refuses');
      },
    };
    await expect(openSession(settings, fitted, quiet)).rejects.toMatchObject({ code: 'E_MODEL_CHECK' });
    expect(seen).toEqual({ space: 'tiny', storeBefore: false, video: 'http://127.0.0.1:9/a.mp4' });
    expect(created).toHaveLength(1);
    const storage = await openStorage(settings.db);
    try {
      expect(await storage.getStudy('session')).toBeNull();
    } finally {
      await storage.close();
    }
    // Without the refusal, the fitted space is the one the study runs.
    const session = await openSession(settings, { ...fitted, preflight: undefined }, quiet);
    try {
      expect(session.space.fixed.BATCH_SIZE).toBe(16);
    } finally {
      await session.close();
    }
  });

  it('lists every knob of the pipeline as understood', () => {
    expect(pipelineEvaluatorFactory({ model: 'm.onnx', device: 'cpu', passThrough: ['WALLET'] }).knobs).toEqual([...KNOB_NAMES, 'WALLET']);
  });
});
