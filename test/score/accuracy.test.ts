import { describe, expect, it } from 'vitest';
import { compareAnswers, scoresOf } from '../../src/score/accuracy.js';
import { boxIou, matchFrame } from '../../src/score/match.js';

const box = (x1: number, y1: number, x2: number, y2: number, classId = 2, score = 0.9) => ({ bbox: [x1, y1, x2, y2] as [number, number, number, number], classId, score });

describe('boxIou', () => {
  it('is exact on simple overlaps', () => {
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(boxIou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0);
    expect(boxIou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
});

describe('matchFrame', () => {
  it('matches by class and IoU >= 0.5, each reference box once, best score first', () => {
    const reference = [box(0, 0, 10, 10), box(100, 100, 110, 120, 0)];
    const predicted = [
      box(0, 0, 10, 10, 2, 0.5), // TP
      box(1, 0, 11, 10, 2, 0.9), // higher score: takes the reference first (IoU 0.82), so the other is FP
      box(100, 100, 110, 120, 3), // right place, wrong class: FP (and the ball is missed)
    ];
    expect(matchFrame(predicted, reference)).toEqual({ tp: 1, fp: 2, fn: 1 });
  });

  it('uses IoU exactly 0.5 as a match and just below as a miss', () => {
    // [0,0,10,10] vs [0,0,20,10]: IoU 100/200 = 0.5
    expect(matchFrame([box(0, 0, 20, 10)], [box(0, 0, 10, 10)])).toEqual({ tp: 1, fp: 0, fn: 0 });
    expect(matchFrame([box(0, 0, 20.5, 10)], [box(0, 0, 10, 10)])).toEqual({ tp: 0, fp: 1, fn: 1 });
  });
});

describe('compareAnswers', () => {
  const reference = [
    { frameNumber: 0, objects: [box(0, 0, 10, 10), box(20, 20, 30, 40)] },
    { frameNumber: 1, objects: [box(0, 0, 10, 10)] },
    { frameNumber: 2, objects: [] },
  ];

  it('micro-averages TP/FP/FN over all frames', () => {
    const answer = [
      { frameNumber: 0, objects: [box(0, 0, 10, 10), box(50, 50, 60, 60)] }, // TP, FP, FN
      { frameNumber: 1, objects: [box(0, 0, 10, 10)] }, // TP
      { frameNumber: 2, objects: [] },
    ];
    const r = compareAnswers(answer, reference, { perFrame: true });
    expect(r).toMatchObject({ tp: 2, fp: 1, fn: 1, frames: 3, missingFrames: 0 });
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
    expect(r.perFrame!.map((f) => f.f1)).toEqual([0.5, 1, 1]); // empty vs empty is perfect
  });

  it('counts missing frames as empty answers', () => {
    const r = compareAnswers([{ frameNumber: 0, objects: reference[0]!.objects }], reference);
    expect(r).toMatchObject({ tp: 2, fp: 0, fn: 1, missingFrames: 2 });
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.precision).toBe(1);
  });

  it('scores frames 0..frameCount-1 when asked, so a short reference cannot hide false positives', () => {
    const r = compareAnswers([{ frameNumber: 3, objects: [box(0, 0, 5, 5)] }], reference, { frameCount: 4 });
    expect(r).toMatchObject({ frames: 4, tp: 0, fp: 1, fn: 3, f1: 0 });
  });

  it('works against another answer as the reference (scores are ignored on that side)', () => {
    const run = [{ frameNumber: 0, objects: [box(0, 0, 10, 10, 1, 0.3)] }];
    expect(compareAnswers(run, run).f1).toBe(1);
  });

  it('defines the empty cases', () => {
    expect(scoresOf({ tp: 0, fp: 0, fn: 0 })).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    expect(scoresOf({ tp: 0, fp: 0, fn: 3 })).toMatchObject({ precision: 0, recall: 0, f1: 0 });
    expect(scoresOf({ tp: 0, fp: 2, fn: 0 })).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });
});
