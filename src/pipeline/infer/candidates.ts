// One frame's boxes from a model's raw outputs, per layout (see layout.ts): boxes in input pixels
// (x1 y1 x2 y2) whose score is at least the confidence threshold, with model class ids mapped.

import type { ModelLayout } from './layout.js';

export interface Candidate {
  box: [number, number, number, number];
  classId: number;
  score: number;
}

/** Model class id -> output class id; classes absent from the map are dropped. */
export type ClassMap = ReadonlyMap<number, number>;

/** The values of the outputs a plan reads, in its order ([output] or [boxes, scores]). */
export interface FrameInput {
  layout: ModelLayout;
  tensors: readonly ArrayLike<number>[];
  /** Frame index within the batch. */
  index: number;
  conf: number;
  classMap: ClassMap | null;
  /** Input size S: RT-DETR boxes are fractions of it. */
  size: number;
  /** RT-DETR scores are logits (sigmoid applied here) rather than probabilities. */
  logits?: boolean;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function frameCandidates(f: FrameInput): Candidate[] {
  switch (f.layout.kind) {
    case 'yolov8':
    case 'yolov5':
      return yoloCandidates(f, f.layout);
    case 'end2end':
      return end2endCandidates(f, f.layout.rows);
    case 'rtdetr':
      return rtdetrCandidates(f, f.layout.classes, f.layout.queries);
  }
}

function mapped(classMap: ClassMap | null, modelClass: number): number | undefined {
  return classMap ? classMap.get(modelClass) : modelClass;
}

/** Best class of a row; `at(c)` is class c's score. */
function bestClass(classes: number, at: (c: number) => number): [number, number] {
  let best = -1;
  let bestScore = -Infinity;
  for (let c = 0; c < classes; c++) {
    const s = at(c);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return [best, bestScore];
}

function yoloCandidates(f: FrameInput, layout: Extract<ModelLayout, { kind: 'yolov8' | 'yolov5' }>): Candidate[] {
  const data = f.tensors[0]!;
  const { classes, anchors } = layout;
  const v8 = layout.kind === 'yolov8';
  const rowLength = classes + (v8 ? 4 : 5);
  const base = f.index * rowLength * anchors;
  // Element (field, anchor): v8 is field-major, v5 anchor-major.
  const at = v8 ? (field: number, a: number) => data[base + field * anchors + a]! : (field: number, a: number) => data[base + a * rowLength + field]!;
  const firstClass = v8 ? 4 : 5;
  const out: Candidate[] = [];
  for (let a = 0; a < anchors; a++) {
    const objectness = v8 ? 1 : at(4, a);
    if (objectness < f.conf) continue;
    const [best, bestScore] = bestClass(classes, (c) => at(firstClass + c, a));
    const score = bestScore * objectness;
    if (score < f.conf) continue;
    const classId = mapped(f.classMap, best);
    if (classId === undefined) continue;
    const hw = at(2, a) / 2;
    const hh = at(3, a) / 2;
    out.push({ box: [at(0, a) - hw, at(1, a) - hh, at(0, a) + hw, at(1, a) + hh], classId, score });
  }
  return out;
}

function end2endCandidates(f: FrameInput, rows: number): Candidate[] {
  const data = f.tensors[0]!;
  const base = f.index * rows * 6;
  const out: Candidate[] = [];
  for (let r = 0; r < rows; r++) {
    const row = base + r * 6;
    const score = data[row + 4]!;
    if (!(score >= f.conf)) continue;
    const classId = mapped(f.classMap, Math.round(data[row + 5]!));
    if (classId === undefined) continue;
    out.push({ box: [data[row]!, data[row + 1]!, data[row + 2]!, data[row + 3]!], classId, score });
  }
  return out;
}

function rtdetrCandidates(f: FrameInput, classes: number, queries: number): Candidate[] {
  const pair = f.tensors.length === 2;
  const boxData = f.tensors[0]!;
  const scoreData = pair ? f.tensors[1]! : boxData;
  const boxStride = pair ? 4 : 4 + classes;
  const scoreStride = pair ? classes : 4 + classes;
  const scoreOffset = pair ? 0 : 4;
  const S = f.size;
  const out: Candidate[] = [];
  for (let q = 0; q < queries; q++) {
    const b = (f.index * queries + q) * boxStride;
    const s = (f.index * queries + q) * scoreStride + scoreOffset;
    const [best, raw] = bestClass(classes, (c) => scoreData[s + c]!);
    const score = f.logits ? sigmoid(raw) : raw;
    if (!(score >= f.conf)) continue;
    const classId = mapped(f.classMap, best);
    if (classId === undefined) continue;
    const [cx, cy, w, h] = [boxData[b]! * S, boxData[b + 1]! * S, boxData[b + 2]! * S, boxData[b + 3]! * S];
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], classId, score });
  }
  return out;
}

/**
 * Whether RT-DETR scores are logits: probabilities never leave 0..1, while a background query's logit
 * lies far below 0. `tensors` as in FrameInput.
 */
export function scoresAreLogits(layout: ModelLayout, tensors: readonly ArrayLike<number>[]): boolean {
  if (layout.kind !== 'rtdetr') return false;
  const pair = tensors.length === 2;
  const data = pair ? tensors[1]! : tensors[0]!;
  const stride = pair ? layout.classes : 4 + layout.classes;
  const first = pair ? 0 : 4;
  for (let row = 0; row + stride <= data.length; row += stride) {
    for (let c = first; c < stride; c++) {
      const v = data[row + c]!;
      if (v < 0 || v > 1) return true;
    }
  }
  return false;
}
