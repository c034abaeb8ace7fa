import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLabDetector, makeLabDetector } from '../../src/lab/model/index.js';
import { inferClip } from '../../src/pipeline/infer/clip.js';
import { releaseSessions } from '../../src/pipeline/infer/index.js';
import { labClip } from '../helpers/lab-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-model-'));
afterAll(async () => {
  await releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

describe('lab detector graph', () => {
  it('declares a dynamic image input and a YOLOv8 output, with the anchor count it promises', async () => {
    const model = buildLabDetector();
    const session = await ort.InferenceSession.create(model.bytes);
    expect(session.inputNames).toEqual(['images']);
    expect(session.outputNames).toEqual(['output0']);
    const input = session.inputMetadata[0]!;
    expect(input.isTensor && input.type).toBe('float32');
    expect(input.isTensor && input.shape).toEqual(['batch', 3, 'height', 'width']);
    for (const [n, S] of [
      [2, 320],
      [1, 480],
    ] as const) {
      const x = new ort.Tensor('float32', new Float32Array(n * 3 * S * S).fill(0.3), [n, 3, S, S]);
      const out = (await session.run({ images: x })).output0!;
      expect(out.dims).toEqual([n, 8, model.anchorsAt(S)]);
    }
    await session.release();
  });

  it('--heavy adds convolution compute but leaves the output unchanged', async () => {
    const light = buildLabDetector();
    const heavy = buildLabDetector({ heavy: 2 });
    // Stem 3->32 3x3 at S/2, then 32->32 3x3 blocks at S/2.
    const perBlock = 32 * 32 * 9 * 320 * 320;
    const stem = 32 * 3 * 9 * 320 * 320;
    expect(heavy.macsAt(640) - light.macsAt(640)).toBe(stem + 2 * perBlock);
    const S = 128;
    const data = Float32Array.from({ length: 3 * S * S }, (_, i) => ((i * 7919) % 256) / 255);
    const run = async (bytes: Uint8Array) => {
      const s = await ort.InferenceSession.create(bytes);
      const out = (await s.run({ images: new ort.Tensor('float32', data, [1, 3, S, S]) })).output0!;
      await s.release();
      return out.data as Float32Array;
    };
    const [a, b] = [await run(light.bytes), await run(heavy.bytes)];
    expect(b.length).toBe(a.length);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    expect(maxDiff).toBe(0);
  });
});

describe('lab detector on a lab clip', () => {
  it('finds the objects at 640 (F1 >= 0.9) and loses accuracy, first the ball, at 320', async () => {
    const clip = await labClip({ width: 1280, height: 720, frames: 12, seed: 7 });
    const made = await makeLabDetector({ out: join(dir, 'lab-detector.onnx') });
    const run = (imgSize: number) =>
      inferClip({ clipPath: clip.path, truthPath: clip.truthPath, modelPath: made.path, imgSize, batch: 4, device: 'cpu' });
    const at640 = await run(640);
    const at320 = await run(320);
    expect(at640.frames).toBe(12);
    expect(at640.layout).toEqual({ kind: 'yolov8', classes: 4, anchors: buildLabDetector().anchorsAt(640) });
    expect(at640.accuracy!.f1).toBeGreaterThanOrEqual(0.9);
    expect(at320.accuracy!.f1).toBeLessThan(at640.accuracy!.f1 - 0.03);
    const balls = (r: typeof at640) => r.answer.reduce((n, f) => n + f.objects.filter((o) => o.classId === 0).length, 0);
    expect(balls(at640)).toBeGreaterThan(0);
    expect(balls(at320)).toBeLessThan(balls(at640));
  });
});
