// Accuracy of a turbovision action answer: F1 of its items against the reference's items, where an
// item matches an unmatched reference item of the same action within ±12 frames (the nearest one;
// items in descending confidence order pick first). Conventions as in accuracy.ts: nothing on either
// side scores 1.

import { scoresOf, type AccuracyScores } from './accuracy.js';

export interface ActionItem {
  frame: number;
  action: string;
  confidence?: number;
}

export const ACTION_WINDOW_FRAMES = 12;

export function compareActions(answer: readonly ActionItem[], reference: readonly ActionItem[], window = ACTION_WINDOW_FRAMES): AccuracyScores {
  const order = answer.map((_, i) => i).sort((a, b) => (answer[b]!.confidence ?? 0) - (answer[a]!.confidence ?? 0));
  const taken = new Uint8Array(reference.length);
  let tp = 0;
  for (const i of order) {
    const item = answer[i]!;
    let best = -1;
    let bestGap = window;
    reference.forEach((r, j) => {
      if (taken[j] || r.action !== item.action) return;
      const gap = Math.abs(r.frame - item.frame);
      if (gap <= bestGap && (best < 0 || gap < bestGap)) {
        bestGap = gap;
        best = j;
      }
    });
    if (best >= 0) {
      taken[best] = 1;
      tp++;
    }
  }
  return scoresOf({ tp, fp: answer.length - tp, fn: reference.length - tp });
}
