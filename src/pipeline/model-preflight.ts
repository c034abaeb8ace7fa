// The model read and checked before a study measures anything with it: its output layout and input
// size first (an unreadable model stops before any video is fetched; a fixed-size export pins
// IMG_SIZE), then its reference answer on the first video (an answer that is not a detector's stops
// the study before it is created). Used by the evaluator factories that run the pipeline's model.

import { AutotuneError } from '../errors.js';
import { pinParams, type Space } from '../search/index.js';
import type { ModelCheckOutcome } from './evaluator.js';
import type { LayoutKind } from './infer/index.js';
import type { VideoRef } from './types.js';

const numberOr = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** Reads the model's layout at the reference IMG_SIZE; a fixed-size export pins IMG_SIZE to its size. */
export async function fitSpaceToModel(model: { path: string; layout?: LayoutKind | undefined }, space: Space, log: (line: string) => void): Promise<Space> {
  // Loaded on demand so the other commands start without onnxruntime.
  const { describeLayout, fixedSizePin, inspectModel } = await import('./infer/index.js');
  const facts = await inspectModel({ modelPath: model.path, imgSize: numberOr(space.reference.IMG_SIZE, 640), layout: model.layout });
  log(`model ${model.path}: ${describeLayout(facts.layout)} at ${facts.imgSize}x${facts.imgSize}${facts.fixedSize ? ' (a fixed-size export)' : ''}`);
  const pin = fixedSizePin(facts);
  if (!pin) return space;
  const pinned = pinParams(space, [pin]);
  for (const d of pinned.dropped) log(`note: ${d.reason}`);
  return pinned.space;
}

/** Stops with E_MODEL_CHECK when the model's reference answer on the video is not a detector's. */
export async function requireModelCheck(
  checkModel: (video: VideoRef, signal?: AbortSignal) => Promise<ModelCheckOutcome>,
  video: VideoRef,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const outcome = await checkModel(video, signal);
  if (outcome.verdict === 'refused') {
    throw new AutotuneError('E_MODEL_CHECK', `model check failed: ${outcome.line}`, {
      hint: "a study would rank configs against an answer that is not a detector's; fix the model, --class-map or --model-layout, or pass --no-model-check",
      context: { check: outcome.check },
    });
  }
  log(outcome.verdict === 'skipped' ? `note: ${outcome.line}` : outcome.line);
}
