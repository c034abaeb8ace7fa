// What a model is before a study uses it: its input (a fixed-size export or not) and the layout of its
// outputs, read by running one blank frame on the CPU. A model the tuner cannot read stops here, with
// E_MODEL_LAYOUT, before any video is fetched.

import * as ort from 'onnxruntime-node';
import { resolveLayout, type LayoutKind, type ModelLayout, type OutputShape } from './layout.js';
import { readInterface, requireModelFile } from './model-session.js';
import { createSessionWithFallback } from './providers.js';

export interface ModelFacts {
  modelPath: string;
  inputShape: readonly (number | string)[];
  /** The input size S of a fixed-size export, or null when S is dynamic. */
  fixedSize: number | null;
  /** The input size the outputs were read at: the fixed size, else the one asked for. */
  imgSize: number;
  outputs: OutputShape[];
  layout: ModelLayout;
}

export interface InspectOptions {
  modelPath: string;
  /** Input size to read the outputs at when the model takes any (e.g. the reference IMG_SIZE). */
  imgSize: number;
  /** --model-layout */
  layout?: LayoutKind;
}

export async function inspectModel(o: InspectOptions): Promise<ModelFacts> {
  requireModelFile(o.modelPath);
  const { session } = await createSessionWithFallback(o.modelPath, 'cpu', o.modelPath);
  try {
    const facts = readInterface(o.modelPath, session);
    const S = facts.fixedSize ?? o.imgSize;
    const n = facts.fixedBatch ?? 1;
    const count = n * 3 * S * S;
    const blank = facts.precision === 'float16' ? new ort.Tensor('float16', new Uint16Array(count), [n, 3, S, S]) : new ort.Tensor('float32', new Float32Array(count), [n, 3, S, S]);
    const out = await session.run({ [facts.inputName]: blank });
    const outputs = facts.outputNames.filter((name) => out[name]).map((name) => ({ name, dims: [...out[name]!.dims] }));
    const { layout } = resolveLayout(o.modelPath, outputs, S, o.layout);
    return { modelPath: o.modelPath, inputShape: facts.inputShape, fixedSize: facts.fixedSize, imgSize: S, outputs, layout };
  } finally {
    await session.release();
  }
}

/** IMG_SIZE held at a fixed-size export's size (a search-space pin), or null for a dynamic model. */
export function fixedSizePin(facts: ModelFacts): { name: 'IMG_SIZE'; value: number; because: string } | null {
  if (facts.fixedSize === null) return null;
  const S = facts.fixedSize;
  return {
    name: 'IMG_SIZE',
    value: S,
    because: `IMG_SIZE: model ${facts.modelPath} is a fixed-size export (input ${S}x${S}; export with dynamic=True to search sizes)`,
  };
}
