import { afterAll, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { TensorType } from '../../src/lab/model/index.js';
import { letterbox } from '../../src/pipeline/letterbox.js';
import { anchorCounts, openDetector, releaseSessions, resolveLayout, type OutputShape } from '../../src/pipeline/infer/index.js';
import { constantModel, end2endModel, rtdetrModel, yolov5Model, yolov8Model } from './infer-models.js';

afterAll(() => releaseSessions());

const grey = (S: number, n = 1) => Array.from({ length: n }, () => new Uint8Array(S * S * 3).fill(114));
const FP16 = TensorType.FLOAT16;

function thrown(fn: () => unknown): AutotuneError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AutotuneError);
    return err as AutotuneError;
  }
  throw new Error('expected an error');
}

async function rejected(p: Promise<unknown>): Promise<AutotuneError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AutotuneError);
  return err as AutotuneError;
}

describe('resolveLayout', () => {
  const one = (dims: number[], name = 'output0'): OutputShape[] => [{ name, dims }];
  const layoutOf = (outputs: OutputShape[], size = 640) => resolveLayout('m.onnx', outputs, size).layout;

  it('counts the grid cells a YOLO head has at S', () => {
    expect(anchorCounts(640)).toEqual([8400, 8500, 25200, 25500]);
    expect(anchorCounts(320)).toEqual([2100, 2125, 6300, 6375]);
    expect(anchorCounts(352)).toEqual([2541, 2577, 7623, 7731]); // 44^2 + 22^2 + 11^2, P6 adds 6^2
  });

  it('reads YOLOv8/v11 and YOLOv5/v7 heads from their anchor counts, at any S', () => {
    expect(layoutOf(one([1, 84, 8400]))).toEqual({ kind: 'yolov8', classes: 80, anchors: 8400 });
    expect(layoutOf(one([16, 8, 2100]), 320)).toEqual({ kind: 'yolov8', classes: 4, anchors: 2100 });
    expect(layoutOf(one([1, 25200, 85]))).toEqual({ kind: 'yolov5', classes: 80, anchors: 25200 });
    expect(layoutOf(one([1, 25500, 9]))).toEqual({ kind: 'yolov5', classes: 4, anchors: 25500 }); // P6
    expect(layoutOf(one([1, 8400, 85]))).toEqual({ kind: 'yolov5', classes: 80, anchors: 8400 }); // YOLOX, one anchor per cell
    expect(layoutOf(one([1, 25200, 6]))).toEqual({ kind: 'yolov5', classes: 1, anchors: 25200 });
  });

  it('reads [N,K,6] after NMS as end-to-end, never as a one-class YOLOv5', () => {
    expect(layoutOf(one([1, 300, 6]))).toEqual({ kind: 'end2end', rows: 300 });
    expect(layoutOf(one([8, 100, 6]), 320)).toEqual({ kind: 'end2end', rows: 100 });
  });

  it('reads an RT-DETR pair of outputs, by shape or by name when both are [N,Q,4]', () => {
    const pair = resolveLayout('m.onnx', [{ name: 'scores', dims: [1, 300, 80] }, { name: 'boxes', dims: [1, 300, 4] }], 640);
    expect(pair).toEqual({ layout: { kind: 'rtdetr', classes: 80, queries: 300 }, outputs: ['boxes', 'scores'] });
    const fourClasses = resolveLayout('m.onnx', [{ name: 'pred_logits', dims: [1, 300, 4] }, { name: 'pred_boxes', dims: [1, 300, 4] }], 640);
    expect(fourClasses.outputs).toEqual(['pred_boxes', 'pred_logits']);
    const unnamed = thrown(() => resolveLayout('m.onnx', [{ name: 'a', dims: [1, 300, 4] }, { name: 'b', dims: [1, 300, 4] }], 640));
    expect(unnamed.code).toBe('E_MODEL_LAYOUT');
  });

  it('takes a lone plausible reading (a custom head such as the lab detector)', () => {
    expect(layoutOf(one([1, 8, 46400]))).toEqual({ kind: 'yolov8', classes: 4, anchors: 46400 });
    expect(layoutOf(one([1, 300, 5]))).toEqual({ kind: 'rtdetr', classes: 1, queries: 300 });
  });

  it('names the file, the outputs and shapes, the candidates and the flag when two readings fit', () => {
    const err = thrown(() => resolveLayout('/models/rtdetr-l.onnx', one([1, 300, 84]), 640));
    expect(err.code).toBe('E_MODEL_LAYOUT');
    expect(err.message).toBe(
      'model /models/rtdetr-l.onnx: outputs output0 [1, 300, 84] at input 640x640 read as yolov5 (79 classes, 300 anchors) or rtdetr (80 classes, 300 queries); pass --model-layout yolov5 or --model-layout rtdetr',
    );
    expect(err.context).toMatchObject({ candidates: ['yolov5', 'rtdetr'], outputs: [{ name: 'output0', shape: [1, 300, 84] }] });
    // The same shape is settled by the flag.
    expect(resolveLayout('m.onnx', one([1, 300, 84]), 640, 'rtdetr').layout).toEqual({ kind: 'rtdetr', classes: 80, queries: 300 });
    expect(resolveLayout('m.onnx', one([1, 300, 84]), 640, 'yolov5').layout).toEqual({ kind: 'yolov5', classes: 79, anchors: 300 });
  });

  it('names the file, every output, the known layouts and the flag when none fits', () => {
    const err = thrown(() => resolveLayout('x.onnx', [{ name: 'logits', dims: [1, 3, 2] }, { name: 'aux', dims: [1, 10] }], 64));
    expect(err.code).toBe('E_MODEL_LAYOUT');
    expect(err.message).toContain('model x.onnx: outputs logits [1, 3, 2], aux [1, 10] at input 64x64 match no known layout');
    for (const part of ['yolov8 [N,4+nc,A]', 'yolov5 [N,A,5+nc]', 'end2end [N,K,6]', 'rtdetr boxes [N,Q,4] + scores [N,Q,nc]', '--model-layout yolov8|yolov5|end2end|rtdetr']) {
      expect(err.message).toContain(part);
    }
  });

  it('refuses a segmentation export instead of reading mask coefficients as classes', () => {
    const err = thrown(() => resolveLayout('seg.onnx', [{ name: 'output0', dims: [1, 116, 8400] }, { name: 'output1', dims: [1, 32, 160, 160] }], 640));
    expect(err.message).toBe(
      'model seg.onnx: outputs output0 [1, 116, 8400], output1 [1, 32, 160, 160] at input 640x640 look like a segmentation export (mask prototypes in output1); the tuner reads detection exports',
    );
  });

  it('refuses a forced layout the shape cannot have', () => {
    const err = thrown(() => resolveLayout('m.onnx', one([1, 84, 8400]), 640, 'end2end'));
    expect(err.message).toBe('model m.onnx: --model-layout end2end expects [N,K,6], but the model has outputs output0 [1, 84, 8400] at input 640x640');
    expect(resolveLayout('m.onnx', one([1, 300, 6]), 640, 'yolov5').layout).toEqual({ kind: 'yolov5', classes: 1, anchors: 300 });
  });
});

// Hand-built models emit known boxes; the detector must return them in original pixels.
// 1280x720 at S = 640: scale 0.5, padY 140. At S = 320: scale 0.25, padY 70.
const lb640 = letterbox(1280, 720, 640);
const lb320 = letterbox(1280, 720, 320);
// Input box [288, 304, 352, 336] at 640 (= [144, 152, 176, 168] at 320) is [576, 328, 704, 392] in the frame.
const BOX = [576, 328, 704, 392];

describe('decoding each layout back to original pixels', () => {
  for (const type of [undefined, FP16]) {
    const label = type ? 'float16' : 'float32';

    it(`YOLOv8 head at its grid anchor count, ${label} output`, async () => {
      const model = yolov8Model([[160, 160, 32, 16, 0.125, 0.75], [161, 160, 32, 16, 0.5, 0.125]], 2, 2100, type);
      const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 320 });
      const [frame] = await detector.detect(grey(320), lb320);
      expect(detector.layout).toEqual({ kind: 'yolov8', classes: 2, anchors: 2100 });
      // The two boxes overlap but differ in class: class-aware NMS keeps both.
      expect(frame!.map((d) => [d.classId, d.score])).toEqual([[1, 0.75], [0, 0.5]]);
      expect(frame![0]!.bbox).toEqual(BOX);
    });

    it(`YOLOv5 head (objectness x class score) at its grid anchor count, ${label} output`, async () => {
      const model = yolov5Model([[160, 160, 32, 16, 0.75, 0.25, 1, 0], [160, 160, 32, 16, 0.125, 1, 1, 1]], 3, 6300, type);
      const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 320 });
      const [frame] = await detector.detect(grey(320, 2), lb320);
      expect(detector.layout).toEqual({ kind: 'yolov5', classes: 3, anchors: 6300 });
      expect(frame).toEqual([{ bbox: BOX, classId: 1, score: 0.75 }]);
    });

    it(`end-to-end [N,300,6]: rows as given, threshold applied, no second NMS, class map, ${label} output`, async () => {
      const model = end2endModel(
        [
          [288, 304, 352, 336, 0.875, 2],
          [290, 304, 352, 336, 0.75, 2], // overlaps the first: an end2end answer is final
          [0, 100, 64, 160, 0.5, 0], // x clipped at 0, y (100 - 140) / 0.5 clipped at 0
          [400, 400, 420, 420, 0.125, 2], // under conf 0.25
          [500, 400, 520, 420, 0.9, 7], // a class the map drops
        ],
        300,
        type,
      );
      const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640, classMap: { 0: 0, 2: 2 } });
      const [frame0, frame1] = await detector.detect(grey(640, 2), lb640);
      expect(detector.layout).toEqual({ kind: 'end2end', rows: 300 });
      for (const frame of [frame0!, frame1!]) {
        expect(frame).toEqual([
          { bbox: BOX, classId: 2, score: 0.875 },
          { bbox: [580, 328, 704, 392], classId: 2, score: 0.75 },
          { bbox: [0, 0, 128, 40], classId: 0, score: 0.5 },
        ]);
      }
    });

    it(`RT-DETR pair (normalised boxes, probabilities), ${label} outputs`, async () => {
      // cx, cy 0.5, w 0.125, h 0.0625 of 640: [280, 300, 360, 340] in input pixels.
      const model = rtdetrModel(
        [
          { box: [0.5, 0.5, 0.125, 0.0625], scores: [0.125, 0.875] },
          { box: [0.5, 0.5, 0.125, 0.0625], scores: [0.75, 0.125] },
          { box: [0.25, 0.5, 0.125, 0.0625], scores: [0.125, 0.125] },
        ],
        2,
        300,
        type,
      );
      const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640 });
      const [frame] = await detector.detect(grey(640), lb640);
      expect(detector.layout).toEqual({ kind: 'rtdetr', classes: 2, queries: 300 });
      expect(frame).toEqual([
        { bbox: [560, 320, 720, 400], classId: 1, score: 0.875 },
        { bbox: [560, 320, 720, 400], classId: 0, score: 0.75 },
      ]);
    });
  }

  it('RT-DETR scores given as logits pass through a sigmoid; four classes are told from boxes by name', async () => {
    const background = [-6, -6, -6, -6];
    const model = rtdetrModel(
      [
        { box: [0.5, 0.5, 0.125, 0.0625], scores: [-6, -6, 2, -6] },
        { box: [0.25, 0.25, 0.125, 0.125], scores: background },
      ],
      4,
      300,
      undefined,
      -6,
    );
    const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640 });
    const [frame] = await detector.detect(grey(640), lb640);
    expect(detector.layout).toEqual({ kind: 'rtdetr', classes: 4, queries: 300 });
    expect(frame).toHaveLength(1);
    expect(frame![0]!.bbox).toEqual([560, 320, 720, 400]);
    expect(frame![0]!.classId).toBe(2);
    expect(frame![0]!.score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
  });

  it('an Ultralytics RT-DETR export ([N,300,4+nc]) is ambiguous with YOLOv5 until --model-layout rtdetr', async () => {
    const rows = new Array<number>(300 * 9).fill(0);
    [0.5, 0.5, 0.125, 0.0625, 0, 0, 0.875, 0, 0].forEach((v, i) => (rows[i] = v));
    const model = constantModel({ rows: 300, cols: 9, values: rows }, 'rtdetr-single');
    const guessed = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640 });
    const err = await rejected(guessed.detect(grey(640), lb640));
    expect(err.code).toBe('E_MODEL_LAYOUT');
    expect(err.message).toContain(model);
    expect(err.message).toContain('output0 [1, 300, 9]');
    expect(err.message).toContain('--model-layout yolov5 or --model-layout rtdetr');
    const told = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640, layout: 'rtdetr' });
    const [frame] = await told.detect(grey(640), lb640);
    expect(told.layout).toEqual({ kind: 'rtdetr', classes: 5, queries: 300 });
    expect(frame).toEqual([{ bbox: [560, 320, 720, 400], classId: 2, score: 0.875 }]);
  });

  it('keeps the best maxDet boxes of a final answer', async () => {
    const model = end2endModel([
      [0, 140, 10, 150, 0.5, 2],
      [20, 140, 30, 150, 0.875, 2],
      [40, 140, 50, 150, 0.75, 2],
    ]);
    const detector = await openDetector({ modelPath: model, device: 'cpu', imgSize: 640, maxDet: 2 });
    const [frame] = await detector.detect(grey(640), letterbox(640, 360, 640));
    expect(frame!.map((d) => d.score)).toEqual([0.875, 0.75]);
  });
});
