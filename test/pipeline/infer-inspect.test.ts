import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { buildLabDetector, TensorType } from '../../src/lab/model/index.js';
import { fixedSizePin, inspectModel } from '../../src/pipeline/infer/index.js';
import { loadSpace, pinParams } from '../../src/search/index.js';
import { constantModel, end2endModel } from './infer-models.js';

async function rejected(p: Promise<unknown>): Promise<AutotuneError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AutotuneError);
  return err as AutotuneError;
}

describe('inspectModel', () => {
  it('reads a dynamic model at the size asked for: the lab detector is YOLOv8 with 46400 anchors at 640', async () => {
    const path = join(tmpdir(), `inspect-lab-${process.pid}.onnx`);
    writeFileSync(path, buildLabDetector().bytes);
    const facts = await inspectModel({ modelPath: path, imgSize: 640 });
    expect(facts).toMatchObject({ fixedSize: null, imgSize: 640, layout: { kind: 'yolov8', classes: 4, anchors: 46400 } });
    expect(facts.outputs).toEqual([{ name: 'output0', dims: [1, 8, 46400] }]);
    expect(fixedSizePin(facts)).toBeNull();
  });

  it('detects a fixed-size export, reads it at its own size, and pins IMG_SIZE to it', async () => {
    const model = end2endModel([[10, 10, 20, 20, 0.9, 2]], 100);
    const fixed = constantModel({ rows: 100, cols: 6, values: new Array(600).fill(0), inputShape: [1, 3, 320, 320] }, 'fixed-320');
    expect((await inspectModel({ modelPath: model, imgSize: 960 })).fixedSize).toBeNull();
    const facts = await inspectModel({ modelPath: fixed, imgSize: 960 });
    expect(facts).toMatchObject({ fixedSize: 320, imgSize: 320, inputShape: [1, 3, 320, 320], layout: { kind: 'end2end', rows: 100 } });
    const pin = fixedSizePin(facts)!;
    const { space, dropped } = pinParams(loadSpace('search-spaces/sn44.yaml'), [pin]);
    expect(space.reference.IMG_SIZE).toBe(320);
    expect(space.params.map((p) => p.name)).not.toContain('IMG_SIZE');
    expect(dropped[0]!.reason).toBe(
      `IMG_SIZE: model ${fixed} is a fixed-size export (input 320x320; export with dynamic=True to search sizes): pinned to 320 and not searched; overridden in reference (was 960), baseline fork-default (was 640), baseline QUICK (was 416), baseline ULTRA (was 384)`,
    );
  });

  it('reads a float16 model', async () => {
    const model = constantModel({ rows: 300, cols: 6, values: new Array(1800).fill(0), inputType: TensorType.FLOAT16, type: TensorType.FLOAT16 }, 'fp16');
    expect((await inspectModel({ modelPath: model, imgSize: 64 })).layout).toEqual({ kind: 'end2end', rows: 300 });
  });

  it('stops on an ambiguous layout before any video is read, unless --model-layout says which', async () => {
    const model = constantModel({ rows: 300, cols: 84, values: new Array(300 * 84).fill(0) }, 'rtdetr-l');
    const err = await rejected(inspectModel({ modelPath: model, imgSize: 640 }));
    expect(err.code).toBe('E_MODEL_LAYOUT');
    expect(err.message).toContain(`model ${model}: outputs output0 [1, 300, 84] at input 640x640 read as yolov5`);
    expect((await inspectModel({ modelPath: model, imgSize: 640, layout: 'rtdetr' })).layout).toEqual({ kind: 'rtdetr', classes: 80, queries: 300 });
  });

  it('names a missing file', async () => {
    const err = await rejected(inspectModel({ modelPath: '/nonexistent/yolo.onnx', imgSize: 640 }));
    expect(err.code).toBe('E_INPUT');
    expect(err.message).toBe('model file /nonexistent/yolo.onnx not found');
  });
});
