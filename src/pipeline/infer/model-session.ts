// One onnxruntime session per (model file, device, input size), created once and shared by every
// detector that asks for it, with what the model's metadata says about its input and output.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { AutotuneError } from '../../errors.js';
import { preprocessModel, type InputPrecision } from './preprocess.js';
import { createSessionWithFallback, type Device, type Provider } from './providers.js';

export interface ModelSession {
  modelPath: string;
  session: ort.InferenceSession;
  provider: Provider;
  providerNote: string | null;
  inputName: string;
  /** Every output, in the model's order (a layout reads one, or an RT-DETR pair). */
  outputNames: readonly string[];
  precision: InputPrecision;
  /** Fixed batch size of the model's input, or null when dynamic. */
  fixedBatch: number | null;
  /** The input size S of a fixed-size export (a static square input), or null when dynamic. */
  fixedSize: number | null;
  /** The model's input shape as declared (numbers and symbolic names), for messages. */
  inputShape: readonly (number | string)[];
}

/** What a model's metadata says about its image input and its outputs. */
export type ModelInterface = Omit<ModelSession, 'modelPath' | 'session' | 'provider' | 'providerNote'>;

export interface PreprocessSession {
  session: ort.InferenceSession;
  provider: Provider;
}

const models = new Map<string, Promise<ModelSession>>();
const preprocessors = new Map<string, Promise<PreprocessSession>>();

/** A declared shape for messages: symbolic dims by name, unnamed or unknown ones as '?'. */
export const shapeText = (shape: readonly (number | string | undefined | null)[]) =>
  `[${shape.map((d) => (typeof d === 'number' ? (d >= 0 ? String(d) : '?') : d ? d : '?')).join(', ')}]`;

function layoutError(modelPath: string, message: string, context: Record<string, unknown>): AutotuneError {
  return new AutotuneError('E_MODEL_LAYOUT', `model ${modelPath}: ${message}`, {
    hint: 'expected a detector with one float image input [N,3,S,S] (an Ultralytics export with format=onnx)',
    context: { model: modelPath, ...context },
  });
}

/** The model file must be there: E_INPUT when it is missing, a folder or not a regular file; E_MODEL_LOAD when it is empty. */
export function requireModelFile(modelPath: string): void {
  if (!existsSync(modelPath)) {
    throw new AutotuneError('E_INPUT', `model file ${modelPath} not found`, {
      hint: 'make the lab detector with `autotune model make` or pass your YOLO .onnx export with --model',
      context: { model: modelPath },
    });
  }
  if (!statSync(modelPath).isFile()) {
    throw new AutotuneError('E_INPUT', `model ${modelPath} is ${statSync(modelPath).isDirectory() ? 'a folder' : 'not a regular file'}, not an ONNX file`, {
      hint: 'pass the .onnx file itself with --model, e.g. --model yolo/best.onnx',
      context: { model: modelPath },
    });
  }
  if (statSync(modelPath).size === 0) {
    throw new AutotuneError('E_MODEL_LOAD', `model file ${modelPath} is empty (0 bytes)`, {
      hint: 'export the model again (Ultralytics: format=onnx dynamic=True) and pass the .onnx file with --model',
      context: { model: modelPath },
    });
  }
}

async function load(modelPath: string, device: Device, imgSize: number): Promise<ModelSession> {
  requireModelFile(modelPath);
  const { session, provider, note } = await createSessionWithFallback(modelPath, device, modelPath);
  try {
    return describe(modelPath, session, provider, note, imgSize);
  } catch (err) {
    await session.release();
    throw err;
  }
}

function describe(modelPath: string, session: ort.InferenceSession, provider: Provider, note: string | null, imgSize: number): ModelSession {
  const facts = readInterface(modelPath, session);
  if (facts.fixedSize !== null && facts.fixedSize !== imgSize) {
    throw new AutotuneError('E_MODEL_LAYOUT', `model ${modelPath} takes a fixed ${facts.fixedSize}x${facts.fixedSize} input, not ${imgSize}x${imgSize}`, {
      hint: `use --img-size ${facts.fixedSize}, or export the model with dynamic=True (or imgsz=${imgSize})`,
      context: { model: modelPath, inputShape: facts.inputShape, imgSize },
    });
  }
  return { modelPath, session, provider, providerNote: note, ...facts };
}

/** The input and outputs of a loaded model; E_MODEL_LAYOUT when it has no single [N,3,S,S] float image input. */
export function readInterface(modelPath: string, session: ort.InferenceSession): ModelInterface {
  const input = session.inputMetadata[0];
  if (session.inputNames.length !== 1 || !input || session.outputNames.length === 0) {
    throw layoutError(modelPath, `has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); a detector has one image input`, {
      inputs: session.inputNames,
    });
  }
  if (!input.isTensor || (input.type !== 'float32' && input.type !== 'float16')) {
    const type = input.isTensor ? input.type : 'non-tensor';
    throw layoutError(modelPath, `input ${input.name} is ${type}; an image input is float32 or float16`, { inputType: type });
  }
  const shape = input.shape;
  const fixed = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : null);
  if (shape.length !== 4 || (fixed(shape[1]) !== null && shape[1] !== 3)) {
    throw layoutError(modelPath, `input ${input.name} has shape ${shapeText(shape)}; an image input is [N,3,S,S]`, { inputShape: shape });
  }
  const [h, w] = [fixed(shape[2]), fixed(shape[3])];
  if (h !== w && h !== null && w !== null) {
    throw layoutError(modelPath, `input ${input.name} has shape ${shapeText(shape)}; the tuner feeds square frames`, { inputShape: shape });
  }
  return {
    inputName: input.name,
    outputNames: [...session.outputNames],
    precision: input.type,
    fixedBatch: fixed(shape[0]),
    fixedSize: h ?? w,
    inputShape: shape,
  };
}

/** The shared session for this model, device and input size. */
export function modelSession(modelPath: string, device: Device, imgSize: number): Promise<ModelSession> {
  const path = resolve(modelPath);
  const key = `${path}|${device}|${imgSize}`;
  let entry = models.get(key);
  if (!entry) {
    entry = load(path, device, imgSize);
    models.set(key, entry);
    entry.catch(() => models.delete(key));
  }
  return entry;
}

/** The shared preprocessing session for a provider and precision. */
export function preprocessSession(provider: Provider, precision: InputPrecision): Promise<PreprocessSession> {
  const key = `${provider}|${precision}`;
  let entry = preprocessors.get(key);
  if (!entry) {
    // The preprocessing graph runs where the model runs; it cannot fail for a provider the model loaded with.
    entry = createSessionWithFallback(preprocessModel(precision), provider, 'preprocessing graph').then((s) => ({
      session: s.session,
      provider: s.provider,
    }));
    preprocessors.set(key, entry);
    entry.catch(() => preprocessors.delete(key));
  }
  return entry;
}

/** Releases every cached session (end of a study or of a test file). */
export async function releaseSessions(): Promise<void> {
  const all = [...models.values(), ...preprocessors.values()];
  models.clear();
  preprocessors.clear();
  for (const entry of all) {
    const s = await entry.catch(() => null);
    await s?.session.release();
  }
}
