// Detection accuracy of an answer against a reference (ground truth or a reference run): per-frame
// class-aware matching at IoU >= 0.5, then precision, recall and F1 micro-averaged over the clip
// (total TP / FP / FN over all frames).
//
// Conventions:
// - a frame of the reference that the answer lacks counts as an empty answer: all its boxes are missed;
// - answer frames beyond the reference (or beyond frameCount) are ignored;
// - with nothing on either side (no predictions, no reference boxes), precision, recall and F1 are 1:
//   an empty answer to an empty frame is perfect. Otherwise a 0/0 ratio is 0 (precision of an empty
//   answer to a non-empty frame, recall against an empty reference with false positives).

import { MATCH_IOU, matchFrame, type MatchCounts, type ScoredBox } from './match.js';

export interface FrameBoxes {
  frameNumber: number;
  objects: readonly ScoredBox[];
}

export interface AccuracyScores extends MatchCounts {
  precision: number;
  recall: number;
  f1: number;
}

export interface FrameAccuracy extends AccuracyScores {
  frameNumber: number;
}

export interface ClipAccuracy extends AccuracyScores {
  /** Frames scored (the reference's frames, or 0..frameCount-1). */
  frames: number;
  /** Reference frames the answer had no entry for (counted as empty answers). */
  missingFrames: number;
  perFrame?: FrameAccuracy[];
}

export interface CompareOptions {
  /** Score frames 0..frameCount-1; frames absent from the reference count as empty reference frames. */
  frameCount?: number;
  minIou?: number;
  perFrame?: boolean;
}

/** Precision, recall and F1 from counts, with the conventions above. */
export function scoresOf(counts: MatchCounts): AccuracyScores {
  const { tp, fp, fn } = counts;
  if (tp + fp + fn === 0) return { tp, fp, fn, precision: 1, recall: 1, f1: 1 };
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
  return { tp, fp, fn, precision, recall, f1 };
}

/** Compares an answer with a reference, frame by frame, and over the whole clip. */
export function compareAnswers(
  answer: readonly FrameBoxes[],
  reference: readonly FrameBoxes[],
  options: CompareOptions = {},
): ClipAccuracy {
  const minIou = options.minIou ?? MATCH_IOU;
  const answered = new Map(answer.map((f) => [f.frameNumber, f.objects]));
  const referenceByFrame = new Map(reference.map((f) => [f.frameNumber, f.objects]));
  const frameNumbers =
    options.frameCount === undefined
      ? [...referenceByFrame.keys()].sort((a, b) => a - b)
      : Array.from({ length: options.frameCount }, (_, i) => i);
  const total: MatchCounts = { tp: 0, fp: 0, fn: 0 };
  const perFrame: FrameAccuracy[] = [];
  let missingFrames = 0;
  for (const frameNumber of frameNumbers) {
    const predicted = answered.get(frameNumber);
    if (predicted === undefined) missingFrames++;
    const counts = matchFrame(predicted ?? [], referenceByFrame.get(frameNumber) ?? [], minIou);
    total.tp += counts.tp;
    total.fp += counts.fp;
    total.fn += counts.fn;
    if (options.perFrame) perFrame.push({ frameNumber, ...scoresOf(counts) });
  }
  return { ...scoresOf(total), frames: frameNumbers.length, missingFrames, ...(options.perFrame ? { perFrame } : {}) };
}
