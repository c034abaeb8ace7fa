// Preprocessing as a tiny ONNX graph run by onnxruntime, so no per-pixel work happens in JavaScript:
// the decoder delivers letterboxed rgb24 frames (uint8 [N, S, S, 3]); the graph transposes to NCHW,
// casts and scales to 0..1 (and casts to float16 for half-precision models).

import { GraphBuilder } from '../../lab/model/graph-builder.js';
import { TensorType } from '../../lab/model/onnx-proto.js';

export type InputPrecision = 'float32' | 'float16';

export const PREPROCESS_INPUT = 'frames';
export const PREPROCESS_OUTPUT = 'images';

const cache = new Map<InputPrecision, Uint8Array>();

/** The preprocessing model's bytes: `frames` uint8 [N,S,S,3] -> `images` float [N,3,S,S] in 0..1. */
export function preprocessModel(precision: InputPrecision): Uint8Array {
  const cached = cache.get(precision);
  if (cached) return cached;
  const g = new GraphBuilder('preprocess');
  const frames = g.input(PREPROCESS_INPUT, TensorType.UINT8, ['batch', 'height', 'width', 3]);
  // Transposing the bytes before the cast moves a quarter of the memory (measured: about 25% less CPU).
  const nchwBytes = g.op1('Transpose', [frames], { perm: [0, 3, 1, 2] });
  const nchw = g.op1('Cast', [nchwBytes], { to: TensorType.FLOAT });
  if (precision === 'float16') {
    const scaled = g.op1('Mul', [nchw, g.floats(1 / 255)]);
    g.op1('Cast', [scaled], { to: TensorType.FLOAT16 }, PREPROCESS_OUTPUT);
  } else {
    g.op1('Mul', [nchw, g.floats(1 / 255)], undefined, PREPROCESS_OUTPUT);
  }
  g.output(PREPROCESS_OUTPUT, precision === 'float16' ? TensorType.FLOAT16 : TensorType.FLOAT, ['batch', 3, 'height', 'width']);
  const bytes = g.encode(17, 'uint8 NHWC frames to float NCHW in 0..1');
  cache.set(precision, bytes);
  return bytes;
}
