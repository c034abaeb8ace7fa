// Class-aware greedy matching of predicted boxes to reference boxes, the building block of F1.

/** A box with a class; predictions may carry a score (reference boxes need none). */
export interface ScoredBox {
  bbox: readonly [number, number, number, number] | readonly number[];
  classId: number;
  score?: number;
}

export const MATCH_IOU = 0.5;

/** Intersection over union of two [x1, y1, x2, y2] boxes; 0 when either is empty. */
export function boxIou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

export interface MatchCounts {
  tp: number;
  fp: number;
  fn: number;
}

/**
 * Greedy matching as in COCO-style evaluation: predictions in descending score order each take the
 * unmatched reference box of the same class with the highest IoU, if that IoU >= minIou.
 */
export function matchFrame(predicted: readonly ScoredBox[], reference: readonly ScoredBox[], minIou = MATCH_IOU): MatchCounts {
  const order = predicted.map((_, i) => i).sort((a, b) => (predicted[b]!.score ?? 0) - (predicted[a]!.score ?? 0));
  const taken = new Uint8Array(reference.length);
  let tp = 0;
  for (const i of order) {
    const p = predicted[i]!;
    let best = -1;
    let bestIou = minIou;
    reference.forEach((r, j) => {
      if (taken[j] || r.classId !== p.classId) return;
      const overlap = boxIou(p.bbox, r.bbox);
      if (overlap >= bestIou) {
        bestIou = overlap;
        best = j;
      }
    });
    if (best >= 0) {
      taken[best] = 1;
      tp++;
    }
  }
  return { tp, fp: predicted.length - tp, fn: reference.length - tp };
}
