// Runs a detector over every frame of a local clip (decode -> batch -> detect), and scores the answer
// against a truth file when one is given: what `autotune infer` prints.

import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AutotuneError } from '../../errors.js';
import { challengeFailure } from '../failure.js';
import { readTruth } from '../../lab/clips/index.js';
import { compareAnswers, type ClipAccuracy } from '../../score/accuracy.js';
import { startDecoder } from '../decode/index.js';
import type { FrameAnswer } from '../types.js';
import { openDetector } from './detector.js';
import type { Device, Provider } from './providers.js';
import type { LayoutKind, ModelLayout } from './layout.js';

export interface InferClipOptions {
  clipPath: string;
  modelPath: string;
  imgSize: number;
  conf?: number;
  iou?: number;
  batch: number;
  device: Device;
  truthPath?: string;
  /** Model class id -> SN44 class id (see parseClassMap). */
  classMap?: Record<number, number>;
  /** --model-layout: how to read the outputs when their shapes do not tell. */
  layout?: LayoutKind;
}

export interface InferClipResult {
  clip: string;
  model: string;
  frames: number;
  seconds: number;
  /** Frames per second end to end (decode, preprocess, inference, NMS). */
  framesPerSecond: number;
  /** Frames per second of the model run alone. */
  inferenceFramesPerSecond: number;
  preprocessMsPerFrame: number;
  postprocessMsPerFrame: number;
  provider: Provider;
  providerNote: string | null;
  decoder: string | null;
  imgSize: number;
  batch: number;
  /** The output layout the answer was decoded with. */
  layout: ModelLayout | null;
  /** Mean number of boxes answered per frame. */
  boxesPerFrame: number;
  answer: FrameAnswer[];
  accuracy: ClipAccuracy | null;
}

export async function inferClip(o: InferClipOptions): Promise<InferClipResult> {
  if (!existsSync(o.clipPath)) {
    throw new AutotuneError('E_INPUT', `clip ${o.clipPath} not found`, { hint: 'make one with `autotune samples make`' });
  }
  const truth = o.truthPath ? await readTruth(o.truthPath) : null;
  const detector = await openDetector({ modelPath: o.modelPath, device: o.device, imgSize: o.imgSize, conf: o.conf, iou: o.iou, classMap: o.classMap, layout: o.layout });
  const t0 = performance.now();
  const decoder = startDecoder({ input: { path: o.clipPath }, size: o.imgSize, label: o.clipPath });
  const answer: FrameAnswer[] = [];
  try {
    let batch: { index: number; data: Buffer }[] = [];
    const flush = async () => {
      const info = await decoder.info;
      if (!info) return;
      const found = await detector.detect(
        batch.map((f) => f.data),
        info.letterbox,
      );
      batch.forEach((f, i) => answer.push({ frameNumber: f.index, objects: found[i]! }));
      batch = [];
    };
    for await (const frame of decoder.frames) {
      batch.push(frame);
      if (batch.length >= o.batch) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    decoder.stop();
    await detector.close();
  }
  const summary = await decoder.done;
  if (summary.error) {
    throw challengeFailure(summary.error, `cannot decode ${o.clipPath}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const { stats } = detector;
  const frames = answer.length;
  return {
    clip: o.clipPath,
    model: o.modelPath,
    frames,
    seconds,
    framesPerSecond: frames / seconds,
    inferenceFramesPerSecond: stats.inferenceMs > 0 ? (frames * 1000) / stats.inferenceMs : 0,
    preprocessMsPerFrame: detector.preprocessMsPerFrame,
    postprocessMsPerFrame: frames > 0 ? stats.postprocessMs / frames : 0,
    provider: detector.provider,
    providerNote: detector.providerNote,
    decoder: summary.decoder,
    imgSize: o.imgSize,
    batch: o.batch,
    layout: detector.layout,
    boxesPerFrame: frames > 0 ? answer.reduce((n, f) => n + f.objects.length, 0) / frames : 0,
    answer,
    accuracy: truth ? compareAnswers(answer, truth.frames, { frameCount: truth.frameCount }) : null,
  };
}
