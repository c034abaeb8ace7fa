// An estimate of the SN44 validator's score for one answer, from what the tool measures. The published
// formulas (sn44.md) are followed where they can be; where the validator uses something the tool does
// not have (CLIP class checks, a keypoint model, pitch-frame detection, other miners' times), the
// approximation is named right where it is made. Pure functions, no I/O.

import type { FrameBoxes } from './accuracy.js';
import { matchFrame, type ScoredBox } from './match.js';
import { mulberry32 } from '../util/prng.js';

export const SAMPLE_FRAMES = 100;
export const BOX_COVERAGE_FLOOR = 0.7;
export const KEYPOINT_VALID_FLOOR = 0.4;
export const SPEED_LIMIT_S = 15;
export const DEFAULT_T_MIN_S = 2.0;

export interface Sn44Input {
  answer: readonly FrameBoxes[];
  /** The reference answer for the same video (see src/pipeline/reference). */
  reference: readonly FrameBoxes[];
  framesInVideo: number;
  /** The challenge's total time in seconds; null when it never answered. */
  seconds: number | null;
  /** Seeds the frame sample; use something fixed per video so every config sees the same frames. */
  sampleSeed: string;
  tMin?: number;
}

export interface Sn44Estimate {
  bbox: number;
  keypoints: number;
  quality: number;
  speed: number;
  final: number;
  /** Frames sampled, and how many of them the answer covers. */
  sampled: number;
  evaluated: number;
}

export function estimateSn44(input: Sn44Input): Sn44Estimate {
  const sample = sampleFrames(input.framesInVideo, input.sampleSeed);
  const answered = new Map(input.answer.map((f) => [f.frameNumber, f.objects]));
  const reference = new Map(input.reference.map((f) => [f.frameNumber, f.objects]));
  const bbox = boxScore(sample, answered, reference);
  const keypoints = keypointScore(sample, answered, input.framesInVideo);
  const quality = 0.5 * bbox + 0.5 * keypoints;
  const speed = speedScore(input.seconds, bbox, input.tMin ?? DEFAULT_T_MIN_S);
  return {
    bbox,
    keypoints,
    quality,
    speed,
    final: 0.65 * quality + 0.35 * speed,
    sampled: sample.length,
    evaluated: sample.filter((f) => answered.has(f)).length,
  };
}

/**
 * The validator picks 100 random pitch frames, the same for every miner.
 * Approximation: every frame of a lab/sample clip counts as a pitch frame; the 100 are drawn with a
 * PRNG seeded by the video, so all configs of a study are judged on the same frames. A video with
 * fewer than 100 frames is sampled whole (the validator would reject it: it needs 75 pitch frames).
 */
export function sampleFrames(framesInVideo: number, seed: string, count = SAMPLE_FRAMES): number[] {
  const n = Math.max(0, Math.floor(framesInVideo));
  const indices = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(count, n);
  const random = mulberry32(hash32(seed));
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (n - i));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices.slice(0, take).sort((a, b) => a - b);
}

/**
 * Box quality. The validator scores each box with CLIP (+1 right class, 0.5 wrong person class, -1
 * grass/crowd), weighs repeats, divides by (classes + 1) and penalises large boxes.
 * Approximation: a frame's score is its F1 agreement with the reference answer (IoU >= 0.5, same
 * class), so the reference itself scores 1; the absolute scale differs from the validator's, the
 * ordering of configs (what tuning needs) follows the loss of boxes. The missing-frame rule is the
 * validator's: average over evaluated frames x clip((evaluated / sample) / 0.7, 0, 1).
 */
export function boxScore(
  sample: readonly number[],
  answered: ReadonlyMap<number, readonly ScoredBox[]>,
  reference: ReadonlyMap<number, readonly ScoredBox[]>,
): number {
  if (sample.length === 0) return 0;
  let sum = 0;
  let evaluated = 0;
  for (const frame of sample) {
    const objects = answered.get(frame);
    if (!objects) continue;
    evaluated += 1;
    sum += frameAgreement(objects, reference.get(frame) ?? []);
  }
  if (evaluated === 0) return 0;
  const coverage = clip(evaluated / sample.length / BOX_COVERAGE_FLOOR);
  return (sum / evaluated) * coverage;
}

/**
 * Keypoint quality. The validator's weighted keypoint checks need the 32-point pitch model, which the
 * tool does not run. Approximation: the reference's keypoints are taken as perfect (quality 1,
 * mean_scale 1), and only what a config changes is modelled: scale_valid = clip(answered share of the
 * video / 0.4) (every answered frame is assumed to carry a valid homography), times the scene
 * consistency average over the sampled frames, where a frame counts only if it and the frame before
 * it are answered (frame 0 needs only itself).
 */
export function keypointScore(
  sample: readonly number[],
  answered: ReadonlyMap<number, unknown>,
  framesInVideo: number,
): number {
  if (sample.length === 0 || framesInVideo <= 0) return 0;
  let answeredInVideo = 0;
  for (const frame of answered.keys()) if (frame >= 0 && frame < framesInVideo) answeredInVideo += 1;
  const scaleValid = clip(answeredInVideo / framesInVideo / KEYPOINT_VALID_FLOOR);
  const meanScale = 1;
  let consistent = 0;
  for (const frame of sample) {
    if (answered.has(frame) && (frame === 0 || answered.has(frame - 1))) consistent += 1;
  }
  return ((meanScale + scaleValid) / 2) * (consistent / sample.length);
}

/**
 * speed = exp(-5 (t - t_min) / (15 - t_min)); 0 when bbox <= 0.2 or t >= 15 s.
 * Approximation: t_min is the fastest valid answer among the miners of a validator's batch; here it
 * is a parameter, and t is the challenge's own total (the validator adds the request's trip). A time
 * at or below t_min scores 1.
 */
export function speedScore(seconds: number | null, bbox: number, tMin = DEFAULT_T_MIN_S): number {
  if (seconds === null || !Number.isFinite(seconds) || bbox <= 0.2 || seconds >= SPEED_LIMIT_S) return 0;
  if (seconds <= tMin) return 1;
  return Math.exp((-5 * (seconds - tMin)) / (SPEED_LIMIT_S - tMin));
}

/**
 * The estimate's quality part from a final estimate and its time: q with final = 0.65 q + 0.35
 * speed(seconds), at the given t_min. It is the estimate's quality whenever the box score passed the
 * validator's 0.2 gate (every usable config does); below the gate the speed part was 0 and q comes out
 * lower, so that sn44FromQuality at the same t_min still gives the recorded estimate back.
 */
export function sn44Quality(estimate: number, seconds: number, tMin = DEFAULT_T_MIN_S): number {
  return (estimate - 0.35 * speedScore(seconds, 1, tMin)) / 0.65;
}

/** The final estimate from its quality part and the time, at a t_min (the inverse of sn44Quality). */
export function sn44FromQuality(quality: number, seconds: number, tMin = DEFAULT_T_MIN_S): number {
  return 0.65 * quality + 0.35 * speedScore(seconds, 1, tMin);
}

/** F1 of one frame's boxes against the reference's (greedy by score, IoU >= 0.5, same class). */
export function frameAgreement(answer: readonly ScoredBox[], reference: readonly ScoredBox[]): number {
  if (answer.length === 0 && reference.length === 0) return 1;
  if (answer.length === 0 || reference.length === 0) return 0;
  const { tp } = matchFrame(answer, reference);
  return (2 * tp) / (answer.length + reference.length);
}

function clip(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function hash32(text: string): number {
  let h = 2166136261; // FNV-1a
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
