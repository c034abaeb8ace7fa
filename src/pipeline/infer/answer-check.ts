// Is this a detector's answer? Before a study ranks configs by their agreement with the model's own
// reference answer, that answer must look like detections of the SN44 classes: some boxes, inside the
// frame, of plausible sizes, of classes the class map knows. A model that answers nothing, only
// unknown classes, or boxes the size of the frame would give every config the same meaningless score.

import type { FrameAnswer } from '../types.js';

/** SN44's classes: ball 0, goalkeeper 1, player 2, referee 3. */
export const SN44_CLASS_IDS: readonly number[] = [0, 1, 2, 3];
/** A box covering at least this share of the frame is frame-sized. */
export const FRAME_SIZED_AREA = 0.5;
/** Share of the boxes that may be frame-sized, or outside the frame, before the answer is refused. */
export const MOSTLY = 0.5;

export interface AnswerCheckInput {
  answer: readonly FrameAnswer[];
  /** Frames the answer is for (frames without a box count too). */
  frames: number;
  /** The video's frame size; null when unknown (sizes and positions are then not checked). */
  frameSize: { width: number; height: number } | null;
  /** Class ids the answer may hold (default the SN44 classes). */
  classes?: readonly number[];
  /** A class map was applied: boxes of model classes outside it were dropped before this answer. */
  classMapped?: boolean;
}

export interface AnswerCheck {
  ok: boolean;
  /** Why the answer is not a detector's; null when ok. */
  problem: string | null;
  boxes: number;
  boxesPerFrame: number;
  /** Class ids outside `classes`, ascending. */
  unknownClasses: number[];
  /** Shares of the boxes outside the frame (no area left inside it) and covering most of it; null without a frame size. */
  outsideShare: number | null;
  frameSizedShare: number | null;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;

export function checkModelAnswer(input: AnswerCheckInput): AnswerCheck {
  const known = new Set(input.classes ?? SN44_CLASS_IDS);
  const boxes = input.answer.flatMap((f) => f.objects);
  const unknown = [...new Set(boxes.map((b) => b.classId).filter((c) => !known.has(c)))].sort((a, b) => a - b);
  const size = input.frameSize;
  let outside = 0;
  let frameSized = 0;
  const widths: number[] = [];
  const heights: number[] = [];
  if (size) {
    for (const { bbox } of boxes) {
      const w = Math.min(bbox[2], size.width) - Math.max(bbox[0], 0);
      const h = Math.min(bbox[3], size.height) - Math.max(bbox[1], 0);
      if (!(w >= 1 && h >= 1)) outside += 1;
      else if (w * h >= FRAME_SIZED_AREA * size.width * size.height) frameSized += 1;
      widths.push(Math.max(w, 0));
      heights.push(Math.max(h, 0));
    }
  }
  const n = boxes.length;
  const result: AnswerCheck = {
    ok: true,
    problem: null,
    boxes: n,
    boxesPerFrame: input.frames > 0 ? n / input.frames : 0,
    unknownClasses: unknown,
    outsideShare: size && n > 0 ? outside / n : null,
    frameSizedShare: size && n > 0 ? frameSized / n : null,
  };
  const refuse = (problem: string): AnswerCheck => ({ ...result, ok: false, problem });
  if (n === 0) {
    const mapped = input.classMapped ? ' (boxes of model classes outside --class-map are dropped, so a map that misses them answers nothing too)' : '';
    return refuse(`no box on any of ${input.frames} frames${mapped}`);
  }
  if (unknown.length > 0 && boxes.every((b) => !known.has(b.classId))) {
    return refuse(`all ${n} boxes are of classes outside the SN44 classes ${[...known].join(', ')} (model classes ${listed(unknown)}); map them with --class-map`);
  }
  if (size && result.frameSizedShare! >= MOSTLY) {
    return refuse(
      `${pct(result.frameSizedShare!)} of ${n} boxes cover most of the ${size.width}x${size.height} frame (median box ${median(widths)}x${median(heights)})`,
    );
  }
  if (size && result.outsideShare! >= MOSTLY) {
    return refuse(`${pct(result.outsideShare!)} of ${n} boxes lie outside the ${size.width}x${size.height} frame or have no size`);
  }
  return result;
}

function listed(ids: number[]): string {
  return ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, ...` : ids.join(', ');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!);
}
