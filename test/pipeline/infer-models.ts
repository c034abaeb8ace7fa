// Small hand-built ONNX models for the inference tests: a fixed output tensor (any layout) that
// still depends on the input's batch size, so it behaves like a detector with a known answer.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder, TensorType } from '../../src/lab/model/index.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-infer-'));
let count = 0;

function save(bytes: Uint8Array, name: string): string {
  count += 1;
  const path = join(dir, `${count}-${name}.onnx`);
  writeFileSync(path, bytes);
  return path;
}

export interface ConstantOutput {
  name?: string;
  /** Per-frame output, shape `rows` x `cols` (row-major). */
  rows: number;
  cols: number;
  values: number[];
  /** Output element type (default float32; TensorType.FLOAT16 casts). */
  type?: number;
}

export interface ConstantModel extends ConstantOutput {
  /** Input shape; default ['batch', 3, 'height', 'width']. */
  inputShape?: (number | string)[];
  inputType?: number;
}

/** A model whose output0 is [N, rows, cols] = the given values for every frame. */
export function constantModel(m: ConstantModel, name = 'constant'): string {
  return constantOutputsModel([m], { inputShape: m.inputShape, inputType: m.inputType }, name);
}

/** A model with one [N, rows, cols] constant output per entry (named output0, output1... unless named). */
export function constantOutputsModel(
  outputs: ConstantOutput[],
  input: { inputShape?: (number | string)[]; inputType?: number } = {},
  name = 'constant',
): string {
  const g = new GraphBuilder(name);
  const images = g.input('images', input.inputType ?? TensorType.FLOAT, input.inputShape ?? ['batch', 3, 'height', 'width']);
  const rank = (input.inputShape ?? [0, 0, 0, 0]).length;
  const axes = Array.from({ length: rank - 1 }, (_, i) => i + 1);
  const asFloat = input.inputType === undefined ? images : g.op1('Cast', [images], { to: TensorType.FLOAT });
  const perFrame = g.op1('ReduceMean', [asFloat], { axes, keepdims: 0 }); // [N]
  const zeros = g.op1('Mul', [g.op1('Reshape', [perFrame, g.ints([-1, 1, 1])]), g.floats(0)]); // [N,1,1]
  outputs.forEach((o, i) => {
    const outName = o.name ?? `output${i}`;
    const type = o.type ?? TensorType.FLOAT;
    if (type === TensorType.FLOAT) {
      g.op1('Add', [zeros, g.floats(o.values, [1, o.rows, o.cols])], undefined, outName);
    } else {
      g.op1('Cast', [g.op1('Add', [zeros, g.floats(o.values, [1, o.rows, o.cols])])], { to: type }, outName);
    }
    g.output(outName, type, ['batch', o.rows, o.cols]);
  });
  return save(g.encode(17), name);
}

/** Rows padded with zero rows to `count`, laid out [count, width] (`transpose`: [width, count]). */
function table(rows: number[][], width: number, count: number, transpose = false, pad = 0): number[] {
  const values = new Array<number>(width * count).fill(pad);
  rows.forEach((r, i) => r.forEach((v, f) => (values[transpose ? f * count + i : i * width + f] = v)));
  return values;
}

/** YOLOv8 layout [N, 4 + nc, A] from anchors given as [cx, cy, w, h, ...class scores]. */
export function yolov8Model(anchors: number[][], nc: number, pad = 16, type?: number): string {
  const A = Math.max(anchors.length, pad);
  return constantModel({ rows: 4 + nc, cols: A, values: table(anchors, 4 + nc, A, true), type }, 'yolov8');
}

/** YOLOv5 layout [N, A, 5 + nc] from anchors given as [cx, cy, w, h, objectness, ...class scores]. */
export function yolov5Model(anchors: number[][], nc: number, pad = 16, type?: number): string {
  const A = Math.max(anchors.length, pad);
  return constantModel({ rows: A, cols: 5 + nc, values: table(anchors, 5 + nc, A), type }, 'yolov5');
}

/** End-to-end layout [N, K, 6] from rows [x1, y1, x2, y2, score, class] (YOLOv10, or nms=True). */
export function end2endModel(rows: number[][], k = 300, type?: number): string {
  return constantModel({ rows: k, cols: 6, values: table(rows, 6, k), type }, 'end2end');
}

/** RT-DETR pair: `boxes` [N, Q, 4] normalised cx, cy, w, h and `scores` [N, Q, nc] (unused queries score `pad`). */
export function rtdetrModel(queries: { box: number[]; scores: number[] }[], nc: number, q = 300, type?: number, pad = 0): string {
  return constantOutputsModel(
    [
      { name: 'boxes', rows: q, cols: 4, values: table(queries.map((x) => x.box), 4, q), type },
      { name: 'scores', rows: q, cols: nc, values: table(queries.map((x) => x.scores), nc, q, false, pad), type },
    ],
    {},
    'rtdetr',
  );
}

export function fileOf(bytes: Uint8Array, name: string): string {
  return save(bytes, name);
}
