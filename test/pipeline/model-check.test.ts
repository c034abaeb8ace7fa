// The model check before a study, through the real pipeline: lab server, ffmpeg, onnxruntime.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { createPipelineEvaluator, type PipelineEvaluatorOptions } from '../../src/pipeline/evaluator.js';
import { referenceConfig } from '../../src/pipeline/reference/index.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { constantModel, yolov8Model } from './infer-models.js';

let dir: string;
let server: LabServer;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-check-'));
  const clip = await labClip({ frames: 16 });
  server = await startLabServer({ dir: dirname(clip.path), port: 0, httpPort: 0 });
  url = `${server.httpsUrl}${basename(clip.path)}`;
});
afterAll(async () => {
  await server?.close();
});

async function check(modelPath: string, extra: Partial<PipelineEvaluatorOptions> = {}, videoUrl = url) {
  const evaluator = createPipelineEvaluator({
    modelPath,
    device: 'cpu',
    ca: server.ca,
    referenceConfig: referenceConfig(224),
    cacheDir: await mkdtemp(join(dir, 'refs-')),
    ...extra,
  });
  try {
    return await evaluator.checkModel({ url: videoUrl });
  } finally {
    await evaluator.close();
  }
}

describe('checkModel on the first video of a study', () => {
  it('passes the lab detector', async () => {
    const lab = join(dir, 'lab-detector.onnx');
    await writeFile(lab, buildLabDetector().bytes);
    const outcome = await check(lab);
    expect(outcome.verdict).toBe('passed');
    expect(outcome.check!.boxesPerFrame).toBeGreaterThan(5);
    expect(outcome.check!.frameSizedShare).toBe(0);
    expect(outcome.line).toMatch(new RegExp(`^model check: \\d+\\.\\d boxes/frame on ${url} \\(reference answer: 16 frames, IMG_SIZE 224, conf 0\\.1\\)$`));
  });

  it('refuses a model built to answer nothing', async () => {
    const empty = yolov8Model([], 4);
    const outcome = await check(empty);
    expect(outcome.verdict).toBe('refused');
    expect(outcome.line).toBe(`model ${empty} on ${url} (reference answer: 16 frames, IMG_SIZE 224, conf 0.1): no box on any of 16 frames`);
  });

  it('refuses a model built to answer frame-sized boxes', async () => {
    // The whole 224x224 input, i.e. the whole 640x360 frame once the letterbox padding is clipped.
    const frameSized = yolov8Model([[112, 112, 224, 224, 0, 0, 0.9, 0], [112, 112, 200, 200, 0, 0, 0, 0.9]], 4);
    const outcome = await check(frameSized);
    expect(outcome.verdict).toBe('refused');
    expect(outcome.check!.frameSizedShare).toBe(1);
    expect(outcome.line).toContain('100% of 32 boxes cover most of the 640x360 frame (median box 571x360)');
  });

  it('refuses a model whose outputs cannot be read, with the layout error', async () => {
    const ambiguous = constantModel({ rows: 300, cols: 84, values: new Array(300 * 84).fill(0) }, 'rtdetr-l');
    const outcome = await check(ambiguous);
    expect(outcome.verdict).toBe('refused');
    expect(outcome.line).toContain(`model ${ambiguous} cannot answer ${url}: inference failed: model ${ambiguous}: outputs output0 [1, 300, 84] at input 224x224 read as yolov5`);
    expect(outcome.line).toContain('pass --model-layout yolov5 or --model-layout rtdetr');
  });

  it('is skipped, not failed, when the video cannot be fetched', async () => {
    const lab = join(dir, 'lab-detector.onnx');
    await writeFile(lab, buildLabDetector().bytes);
    const outcome = await check(lab, {}, 'http://127.0.0.1:9/clip.mp4');
    expect(outcome.verdict).toBe('skipped');
    expect(outcome.line).toMatch(/^model check skipped: no reference answer for http:\/\/127\.0\.0\.1:9\/clip\.mp4 \(/);
  });
});
