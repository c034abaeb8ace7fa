// Class-aware greedy non-maximum suppression, as Ultralytics does it (boxes of different classes
// never suppress each other).

import { boxIou } from '../../score/match.js';
import type { Candidate } from './candidates.js';

/** Ultralytics' cap on boxes entering NMS. */
export const MAX_NMS_INPUT = 30000;

/** Keeps the best boxes: descending score, dropping any box whose IoU with a kept box of its class exceeds `iou`. */
export function nms(candidates: readonly Candidate[], iou: number, maxDet: number): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score).slice(0, MAX_NMS_INPUT);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDet) break;
    if (!kept.some((k) => k.classId === c.classId && boxIou(k.box, c.box) > iou)) kept.push(c);
  }
  return kept;
}
