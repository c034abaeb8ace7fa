import { describe, expect, it } from 'vitest';
import { compareActions } from '../../src/score/actions.js';
import { scoreAgainstReference } from '../../src/score/challenge.js';

describe('turbovision action items against a reference', () => {
  const reference = [
    { frame: 100, action: 'pass' },
    { frame: 200, action: 'shot' },
    { frame: 300, action: 'pass' },
  ];

  it('matches an item of the same action within ±12 frames, each reference item once', () => {
    expect(compareActions(reference, reference).f1).toBe(1);
    const shifted = [
      { frame: 112, action: 'pass' }, // 12 frames late: still a match
      { frame: 187, action: 'shot' }, // 13 frames early: a miss and a false positive
      { frame: 300, action: 'shot' }, // right frame, wrong action
    ];
    const s = compareActions(shifted, reference);
    expect({ tp: s.tp, fp: s.fp, fn: s.fn }).toEqual({ tp: 1, fp: 2, fn: 2 });
    expect(s.f1).toBeCloseTo(2 / (2 + 4), 10);
    // Two answers near one reference item: only one can have it.
    const twice = compareActions([{ frame: 99, action: 'pass' }, { frame: 101, action: 'pass' }], [{ frame: 100, action: 'pass' }]);
    expect({ tp: twice.tp, fp: twice.fp, fn: twice.fn }).toEqual({ tp: 1, fp: 1, fn: 0 });
  });

  it('lets the more confident item take the nearest reference item', () => {
    const s = compareActions(
      [
        { frame: 95, action: 'pass', confidence: 0.2 },
        { frame: 108, action: 'pass', confidence: 0.9 },
      ],
      [
        { frame: 100, action: 'pass' },
        { frame: 110, action: 'pass' },
      ],
    );
    expect(s.tp).toBe(2);
  });

  it('scores an empty answer to an empty reference as perfect, and an empty answer to a non-empty one as 0', () => {
    expect(compareActions([], []).f1).toBe(1);
    expect(compareActions([], reference).f1).toBe(0);
  });
});

describe('a challenge scored against its reference', () => {
  const frames = (n: number) => Array.from({ length: n }, (_, i) => ({ frameNumber: i, objects: [{ bbox: [10, 10, 50, 90] as [number, number, number, number], classId: 2, score: 1 }] }));
  const reference = { answer: frames(10), framesInVideo: 10, videoId: 'v' };

  it('gives coverage, F1 and an SN44 estimate; a failed challenge delivers nothing to the validator', () => {
    const ok = scoreAgainstReference({ answer: frames(5), framesAnswered: 5, framesInVideo: 10, error: null, total: 1 }, reference);
    expect(ok.coverage).toBe(0.5);
    expect(ok.accuracy).toBeCloseTo(2 / 3, 10);
    expect(ok.sn44).toBeGreaterThan(0);
    const failed = scoreAgainstReference({ answer: frames(5), framesAnswered: 5, framesInVideo: 10, error: { reason: 'timeout' }, total: null }, reference);
    expect(failed.sn44).toBe(0);
    expect(scoreAgainstReference({ answer: [], framesAnswered: 0, framesInVideo: null, error: null, total: 1 }, null)).toEqual({
      framesInVideo: null,
      coverage: null,
      accuracy: null,
      sn44: null,
    });
  });
});
