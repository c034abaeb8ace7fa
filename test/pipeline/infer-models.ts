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

export interface ConstantModel {
  /** Per-frame output, shape `rows` x `cols` (row-major). */
  rows: number;
  cols: number;
  values: number[];
  /** Input shape; default ['batch', 3, 'height', 'width']. */
  inputShape?: (number | string)[];
  inputType?: number;
}

/** A model whose output0 is [N, rows, cols] = the given values for every frame. */
export function constantModel(m: ConstantModel, name = 'constant'): string {
  const g = new GraphBuilder(name);
  const images = g.input('images', m.inputType ?? TensorType.FLOAT, m.inputShape ?? ['batch', 3, 'height', 'width']);
  const rank = (m.inputShape ?? [0, 0, 0, 0]).length;
  const axes = Array.from({ length: rank - 1 }, (_, i) => i + 1);
  const asFloat = m.inputType === undefined ? images : g.op1('Cast', [images], { to: TensorType.FLOAT });
  const perFrame = g.op1('ReduceMean', [asFloat], { axes, keepdims: 0 }); // [N]
  const zeros = g.op1('Mul', [g.op1('Reshape', [perFrame, g.ints([-1, 1, 1])]), g.floats(0)]); // [N,1,1]
  g.op1('Add', [zeros, g.floats(m.values, [1, m.rows, m.cols])], undefined, 'output0');
  g.output('output0', TensorType.FLOAT, ['batch', m.rows, m.cols]);
  return save(g.encode(17), name);
}

/** YOLOv8 layout [N, 4 + nc, A] from anchors given as [cx, cy, w, h, ...class scores]. */
export function yolov8Model(anchors: number[][], nc: number, pad = 16): string {
  const A = Math.max(anchors.length, pad);
  const C = 4 + nc;
  const values = new Array<number>(C * A).fill(0);
  anchors.forEach((a, i) => a.forEach((v, f) => (values[f * A + i] = v)));
  return constantModel({ rows: C, cols: A, values }, 'yolov8');
}

/** YOLOv5 layout [N, A, 5 + nc] from anchors given as [cx, cy, w, h, objectness, ...class scores]. */
export function yolov5Model(anchors: number[][], nc: number, pad = 16): string {
  const A = Math.max(anchors.length, pad);
  const C = 5 + nc;
  const values = new Array<number>(C * A).fill(0);
  anchors.forEach((a, i) => a.forEach((v, f) => (values[i * C + f] = v)));
  return constantModel({ rows: A, cols: C, values }, 'yolov5');
}

export function fileOf(bytes: Uint8Array, name: string): string {
  return save(bytes, name);
}
