// The lab detector: made by the project, written to models/lab-detector.onnx (not committed).
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AutotuneError } from '../../errors.js';
import { buildLabDetector } from './lab-detector.js';
import { makeDirs } from '../../util/fs.js';
import { DEFAULT_MODEL_PATH } from './path.js';

export { buildLabDetector, INPUT_NAME, OUTPUT_NAME, type LabDetectorModel, type LabDetectorOptions } from './lab-detector.js';
export { encodeModel, TensorType, type ModelSpec, type NodeSpec, type TensorSpec, type ValueSpec } from './onnx-proto.js';
export { GraphBuilder, type FeatureMap } from './graph-builder.js';

export { DEFAULT_MODEL_PATH };

export interface MadeModel {
  path: string;
  bytes: number;
  heavy: number;
  /** Convolution multiply-accumulates for one image at 640 (FLOPs = 2 x MACs). */
  macsAt640: number;
  anchorsAt640: number;
}

/** Builds the lab detector and writes it to `out`. */
export async function makeLabDetector(options: { out?: string; heavy?: number } = {}): Promise<MadeModel> {
  const out = options.out ?? DEFAULT_MODEL_PATH;
  const heavy = options.heavy ?? 0;
  if (!Number.isInteger(heavy) || heavy < 0 || heavy > 64) {
    throw new AutotuneError('E_USAGE', `--heavy ${heavy} is not an integer from 0 to 64`, { hint: 'e.g. --heavy 4 is about YOLOv8n compute' });
  }
  const model = buildLabDetector({ heavy });
  // Whole or not at all: a study or a miner that opens the model meanwhile never reads half a file.
  const partial = `${out}.partial-${process.pid}`;
  try {
    makeDirs(dirname(out), 'the folder of --out');
    await writeFile(partial, model.bytes);
    await rename(partial, out);
  } catch (err) {
    await rm(partial, { force: true }).catch(() => {});
    throw new AutotuneError('E_INPUT', `cannot write model to ${out}: ${(err as Error).message}`, {
      hint: 'choose a writable --out path',
      cause: err,
    });
  }
  return { path: out, bytes: model.bytes.length, heavy, macsAt640: model.macsAt(640), anchorsAt640: model.anchorsAt(640) };
}
