import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { TensorType } from '../../src/lab/model/index.js';
import { letterbox } from '../../src/pipeline/letterbox.js';
import { nms, openDetector, preprocessModel, probeProviders, releaseSessions } from '../../src/pipeline/infer/index.js';
import { WARM_UP_RUNS } from '../../src/pipeline/infer/detector.js';
import { halfToFloat } from '../../src/pipeline/infer/half.js';
import { modelSession } from '../../src/pipeline/infer/model-session.js';
import { sessionOptions } from '../../src/pipeline/infer/providers.js';
import { constantModel, yolov5Model, yolov8Model } from './infer-models.js';

afterAll(() => releaseSessions());

const grey = (S: number, n = 1) => Array.from({ length: n }, () => new Uint8Array(S * S * 3).fill(114));

async function failure(p: Promise<unknown>): Promise<AutotuneError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AutotuneError);
  return err as AutotuneError;
}

describe('nms', () => {
  const c = (x1: number, classId: number, score: number) => ({ box: [x1, 0, x1 + 10, 10] as [number, number, number, number], classId, score });
  it('suppresses overlapping boxes of the same class only, best score first, up to maxDet', () => {
    const kept = nms([c(0, 2, 0.5), c(1, 2, 0.9), c(1, 3, 0.4), c(30, 2, 0.3)], 0.45, 10);
    expect(kept.map((k) => [k.box[0], k.classId, k.score])).toEqual([
      [1, 2, 0.9],
      [1, 3, 0.4],
      [30, 2, 0.3],
    ]);
    expect(nms([c(0, 2, 0.5), c(50, 2, 0.9), c(100, 2, 0.7)], 0.45, 2).map((k) => k.score)).toEqual([0.9, 0.7]);
    // IoU of [0,10] and [5,15] is 1/3: kept at 0.45, suppressed at 0.3.
    expect(nms([c(0, 2, 0.9), c(5, 2, 0.8)], 0.45, 10)).toHaveLength(2);
    expect(nms([c(0, 2, 0.9), c(5, 2, 0.8)], 0.3, 10)).toHaveLength(1);
  });
});

describe('session options', () => {
  it('keeps onnxruntime threads from spinning (they would take the cores from the decoder) on every provider', async () => {
    for (const provider of ['cpu', 'cuda', 'tensorrt'] as const) {
      expect(sessionOptions(provider)).toMatchObject({
        executionProviders: [provider],
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      });
    }
    // onnxruntime accepts them: a session is made with these options.
    const session = await ort.InferenceSession.create(preprocessModel('float32'), sessionOptions('cpu'));
    await session.release();
  });
});

describe('openDetector with hand-built YOLO models', () => {
  // 1280x720 letterboxed into 640: scale 0.5, image 640x360 at padY 140.
  const lb = letterbox(1280, 720, 640);
  // Input-pixel box cx 320, cy 320, w 64, h 32 -> [288, 304, 352, 336] -> original [576, 328, 704, 392].
  const expected = [576, 328, 704, 392];

  it('decodes the YOLOv8 layout and maps boxes back through the letterbox exactly', async () => {
    const model = yolov8Model([[320, 320, 64, 32, 0.1, 0.8], [322, 321, 64, 32, 0.7, 0.1], [100, 200, 20, 20, 0.2, 0.1]], 2);
    const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640 });
    const [frame0, frame1] = await detector.detect(grey(640, 2), lb);
    expect(detector.layout).toEqual({ kind: 'yolov8', classes: 2, anchors: 16 });
    for (const frame of [frame0!, frame1!]) {
      expect(frame.map((d) => d.classId)).toEqual([1, 0]); // the 0.2 anchor is under conf 0.25
      expect(frame[0]!.bbox).toEqual(expected);
      expect(frame[0]!.score).toBeCloseTo(0.8, 6);
    }
    expect(detector.provider).toBe('cpu');
    expect(detector.providerNote).toBeNull();
    expect(detector.stats.frames).toBe(2);
    expect(detector.preprocessMsPerFrame).toBeGreaterThan(0);
    // A threshold given with the call applies to that call only.
    expect((await detector.detect(grey(640), lb, 0.75))[0]!.map((d) => d.classId)).toEqual([1]);
    expect((await detector.detect(grey(640), lb))[0]!.map((d) => d.classId)).toEqual([1, 0]);
  });

  it('decodes the YOLOv5 layout (objectness x class score)', async () => {
    const model = yolov5Model([[320, 320, 64, 32, 0.9, 0.1, 0.5, 0.2], [500, 500, 10, 10, 0.2, 1, 1, 1]], 3, 25200);
    const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640 });
    const [frame] = await detector.detect(grey(640), lb);
    expect(detector.layout).toEqual({ kind: 'yolov5', classes: 3, anchors: 25200 });
    expect(frame).toHaveLength(1);
    expect(frame![0]!.bbox).toEqual(expected);
    expect(frame![0]!.classId).toBe(1);
    expect(frame![0]!.score).toBeCloseTo(0.45, 6);
  });

  it('applies a class map and drops unmapped classes; clips boxes to the frame', async () => {
    const model = yolov8Model([[320, 320, 64, 32, 0.9, 0, 0], [10, 150, 40, 40, 0, 0.9, 0], [400, 400, 10, 10, 0, 0, 0.9]], 3);
    const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640, classMap: { 0: 3, 1: 0 } });
    const [frame] = await detector.detect(grey(640), lb);
    expect(frame!.map((d) => d.classId)).toEqual([3, 0]);
    expect(frame![0]!.bbox).toEqual(expected);
    // [-10, 130, 30, 170] in input pixels -> x clipped at 0, y (130-140)/0.5 clipped at 0.
    expect(frame![1]!.bbox).toEqual([0, 0, 60, 60]);
  });

  it('runs a fixed-batch model one frame at a time and shares sessions between detectors', async () => {
    const model = constantModel({ rows: 6, cols: 16, values: Array.from({ length: 96 }, (_, i) => (i < 16 ? 32 : i < 64 ? 8 + (i % 16) : i < 80 ? 0.9 : 0)), inputShape: [1, 3, 64, 64] });
    const a = await openDetector({ modelPath: model, device: 'cpu', imgSize: 64 });
    const b = await openDetector({ modelPath: model, device: 'cpu', imgSize: 64, conf: 0.5 });
    const results = await a.detect(grey(64, 3), letterbox(64, 64, 64));
    expect(results).toHaveLength(3);
    expect(a.stats.batches).toBe(3);
    expect(results[0]!.length).toBeGreaterThan(0);
    expect((await b.detect(grey(64), letterbox(64, 64, 64)))[0]).toEqual(results[0]);
  });

  it('warms up on a blank frame without touching the stats, the layout or the answers, fixed-batch models included', async () => {
    const model = yolov8Model([[320, 320, 64, 32, 0.1, 0.8]], 2);
    const warm = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640 });
    // The model's shared session really runs, WARM_UP_RUNS times, on the blank frame.
    const session = (await modelSession(model, 'cpu', 640)).session;
    const runs = vi.spyOn(session, 'run');
    // Every candidate goes through the answer's code, so none of it runs cold in a challenge.
    expect(await warm.warmUp()).toBeGreaterThan(0);
    expect(runs).toHaveBeenCalledTimes(WARM_UP_RUNS);
    runs.mockRestore();
    expect(warm.stats).toMatchObject({ frames: 0, batches: 0 });
    expect(warm.layout).toBeNull();
    const cold = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640 });
    expect(await warm.detect(grey(640), lb)).toEqual(await cold.detect(grey(640), lb));
    expect(warm.stats.frames).toBe(1);
    const fixed = constantModel({ rows: 6, cols: 16, values: Array.from({ length: 96 }, (_, i) => (i < 16 ? 32 : i < 64 ? 8 : i < 80 ? 0.9 : 0)), inputShape: [1, 3, 64, 64] });
    const one = await openDetector({ modelPath: fixed, device: 'cpu', imgSize: 64 });
    await one.warmUp(); // a batch of 1, as the model takes
    expect(one.stats.batches).toBe(0);
  });

  it('warms up the answer\'s code even on a model that sees nothing above the threshold in a blank frame', async () => {
    const faint = await openDetector({ modelPath: yolov8Model([[320, 320, 64, 32, 0.01, 0.02]], 2), device: 'cpu', imgSize: 640 });
    expect(await faint.warmUp()).toBeGreaterThan(0);
    expect((await faint.detect(grey(640), lb))[0]).toEqual([]);
  });

  it('rejects an input size the model does not take', async () => {
    const model = constantModel({ rows: 6, cols: 16, values: new Array(96).fill(0), inputShape: [1, 3, 64, 64] });
    const err = await failure(openDetector({ modelPath: model, device: 'cpu', imgSize: 128 }));
    expect(err.code).toBe('E_MODEL_LAYOUT');
    expect(err.message).toContain(model);
    expect(err.message).toContain('64x64');
  });
});

describe('models that are not YOLO detectors', () => {
  it('names the file and the input shape when the input is not an image', async () => {
    const model = constantModel({ rows: 8, cols: 100, values: new Array(800).fill(0), inputShape: ['batch', 10] }, 'vector-input');
    const err = await failure(openDetector({ modelPath: model, device: 'cpu', imgSize: 640 }));
    expect(err.code).toBe('E_MODEL_LAYOUT');
    expect(err.message).toContain(model);
    expect(err.message).toContain('[batch, 10]');
  });

  it('names the file and the shapes when the output layout is unknown', async () => {
    const model = constantModel({ rows: 3, cols: 2, values: [1, 2, 3, 4, 5, 6] }, 'tiny-output');
    const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 64 });
    const err = await failure(detector.detect(grey(64), letterbox(64, 64, 64)));
    expect(err.code).toBe('E_MODEL_LAYOUT');
    expect(err.message).toContain(model);
    expect(err.message).toContain('[1, 3, 2]');
    expect(err.message).toContain('at input 64x64');
  });

  it('rejects a uint8 input and a file that is not ONNX, and a missing file', async () => {
    const u8 = constantModel({ rows: 8, cols: 100, values: new Array(800).fill(0), inputType: TensorType.UINT8 }, 'uint8-input');
    const bad = await failure(openDetector({ modelPath: u8, device: 'cpu', imgSize: 64 }));
    expect(bad.code).toBe('E_MODEL_LAYOUT');
    expect(bad.message).toMatch(/uint8/);
    const junk = join(tmpdir(), `autotune-junk-${process.pid}.onnx`);
    writeFileSync(junk, 'not a model');
    const load = await failure(openDetector({ modelPath: junk, device: 'cpu', imgSize: 64 }));
    expect(load.code).toBe('E_MODEL_LOAD');
    expect(load.message).toContain(junk);
    const missing = await failure(openDetector({ modelPath: '/nonexistent/model.onnx', device: 'cpu', imgSize: 64 }));
    expect(missing.code).toBe('E_INPUT');
    expect(missing.message).toContain('/nonexistent/model.onnx');
  });
});

describe('execution providers (this machine has no CUDA libraries)', () => {
  it('falls back to CPU when CUDA is asked for, through the real onnxruntime error, and says why', async () => {
    const model = yolov8Model([[32, 32, 8, 8, 0.9]], 1);
    for (const device of ['cuda', 'auto'] as const) {
      const detector = await openDetector({ modelPath: model, device, imgSize: 64 });
      expect(detector.provider).toBe('cpu');
      expect(detector.providerNote).toMatch(/^CUDA execution provider unavailable \(.*Failed to load shared library.*\); using CPU$/);
      expect((await detector.detect(grey(64), letterbox(64, 64, 64)))[0]).toHaveLength(1);
    }
    // The same request fails for real when CPU is not tried after it.
    await expect(ort.InferenceSession.create(model, { executionProviders: ['cuda', 'cpu'] })).rejects.toThrow(/Failed to load shared library/);
  });

  it('probes each provider: CPU usable, CUDA not, with the reason', async () => {
    const probes = await probeProviders();
    expect(probes.find((p) => p.name === 'cpu')).toEqual({ name: 'cpu', usable: true, reason: null });
    const cuda = probes.find((p) => p.name === 'cuda')!;
    expect(cuda.usable).toBe(false);
    expect(cuda.reason).toMatch(/Failed to load shared library/);
  });
});

describe('half-precision models', () => {
  it('feeds a float16 input through the preprocessing graph', async () => {
    const values = new Array<number>(6 * 16).fill(0);
    [32, 32, 16, 16, 0.9].forEach((v, f) => (values[f * 16] = v));
    const model = constantModel({ rows: 6, cols: 16, values, inputType: TensorType.FLOAT16 }, 'fp16-input');
    const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 64 });
    const [frame] = await detector.detect(grey(64), letterbox(64, 64, 64));
    expect(frame!.map((d) => d.bbox)).toEqual([[24, 24, 40, 40]]);
  });

  it('converts float16 output bits exactly', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000, 0x7c00]);
    expect(Array.from(halfToFloat(bits))).toEqual([1, -2, 0.5, 65504, 2 ** -24, 0, Infinity]);
  });
});

describe('preprocessing graph', () => {
  it('turns uint8 NHWC frames into float NCHW in 0..1', async () => {
    const session = await ort.InferenceSession.create(preprocessModel('float32'));
    const S = 2;
    const frames = Uint8Array.from([0, 51, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]); // 2x2 rgb
    const out = (await session.run({ frames: new ort.Tensor('uint8', frames, [1, S, S, 3]) })).images!;
    expect(out.dims).toEqual([1, 3, S, S]);
    const data = Array.from(out.data as Float32Array).map((v) => Math.round(v * 255));
    expect(data).toEqual([0, 10, 40, 70, 51, 20, 50, 80, 255, 30, 60, 90]);
    await session.release();
  });
});
