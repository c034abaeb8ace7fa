import { describe, expect, it } from 'vitest';
import { estimateSn44, frameAgreement, sampleFrames, speedScore } from '../../src/score/sn44.js';
import type { Detection, FrameAnswer } from '../../src/pipeline/types.js';

const box = (x: number, classId = 2, score = 0.9): Detection => ({ bbox: [x, 100, x + 40, 200], classId, score });
const frames = (indices: number[], objects: Detection[] = [box(10), box(300)]): FrameAnswer[] =>
  indices.map((frameNumber) => ({ frameNumber, objects }));
const range = (n: number, step = 1) => Array.from({ length: Math.ceil(n / step) }, (_, i) => i * step);

describe('speedScore', () => {
  it('follows exp(-5 (t - t_min) / (15 - t_min)) with the published example', () => {
    expect(speedScore(3, 1, 2)).toBeCloseTo(0.6807, 4);
    expect(speedScore(4, 1, 2)).toBeCloseTo(0.4634, 4);
    expect(speedScore(2, 1, 2)).toBe(1);
    expect(speedScore(1.5, 1, 2)).toBe(1);
  });

  it('is 0 at or past 15 s, without an answer time, or when bbox <= 0.2', () => {
    expect(speedScore(15, 1, 2)).toBe(0);
    expect(speedScore(null, 1, 2)).toBe(0);
    expect(speedScore(3, 0.2, 2)).toBe(0);
    expect(speedScore(3, 0.21, 2)).toBeGreaterThan(0);
  });
});

describe('frameAgreement', () => {
  it('is the F1 of IoU >= 0.5 same-class matches', () => {
    const reference = [box(10), box(300), box(500)];
    expect(frameAgreement([box(12), box(700)], reference)).toBeCloseTo(2 / 5, 10);
    expect(frameAgreement([box(10, 1)], [box(10, 2)])).toBe(0); // class differs
    expect(frameAgreement(reference, reference)).toBe(1);
    expect(frameAgreement([], [])).toBe(1);
    expect(frameAgreement([box(10)], [])).toBe(0);
  });
});

describe('sampleFrames', () => {
  it('draws 100 distinct sorted frames, the same for the same seed', () => {
    const a = sampleFrames(750, 'video-a');
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(a.every((f) => f >= 0 && f < 750)).toBe(true);
    expect(sampleFrames(750, 'video-a')).toEqual(a);
    expect(sampleFrames(750, 'video-b')).not.toEqual(a);
  });

  it('takes the whole video when it has fewer than 100 frames', () => {
    expect(sampleFrames(50, 'x')).toEqual(range(50));
  });
});

describe('estimateSn44', () => {
  const reference = frames(range(100));
  const base = { reference, framesInVideo: 100, sampleSeed: 'v', tMin: 2 };

  it('scores the reference answer itself at full quality', () => {
    const e = estimateSn44({ ...base, answer: reference, seconds: 3 });
    expect(e).toMatchObject({ bbox: 1, keypoints: 1, quality: 1, sampled: 100, evaluated: 100 });
    expect(e.final).toBeCloseTo(0.65 + 0.35 * 0.68064, 4);
  });

  it('applies the 0.7 coverage factor and the keypoint consistency rule to stride 2', () => {
    const e = estimateSn44({ ...base, answer: frames(range(100, 2)), seconds: 4 });
    expect(e.evaluated).toBe(50);
    expect(e.bbox).toBeCloseTo(0.5 / 0.7, 10); // 0.7143
    expect(e.keypoints).toBeCloseTo(0.01, 10); // only frame 0 has no missing predecessor
    expect(e.quality).toBeCloseTo(0.5 * (0.5 / 0.7) + 0.005, 10);
    expect(e.final).toBeCloseTo(0.65 * 0.3621429 + 0.35 * 0.4634, 4);
  });

  it('shrinks both factors for an answer cut short by a budget', () => {
    const e = estimateSn44({ ...base, answer: frames(range(30)), seconds: 3 });
    expect(e.bbox).toBeCloseTo(0.3 / 0.7, 10); // 0.4286
    expect(e.keypoints).toBeCloseTo(((1 + 0.75) / 2) * 0.3, 10); // 0.2625
  });

  it('gives no speed credit when bbox <= 0.2 and scores an empty answer 0', () => {
    const short = estimateSn44({ ...base, answer: frames(range(10)), seconds: 2.5 });
    expect(short.bbox).toBeCloseTo(0.1 / 0.7, 10);
    expect(short.speed).toBe(0);
    expect(estimateSn44({ ...base, answer: [], seconds: 1 }).final).toBe(0);
  });

  it('scores wrong boxes low even when every frame is answered', () => {
    const e = estimateSn44({ ...base, answer: frames(range(100), [box(600)]), seconds: 3 });
    expect(e.bbox).toBe(0);
    expect(e.speed).toBe(0);
    expect(e.final).toBeCloseTo(0.65 * 0.5, 10); // keypoints still count in this approximation
  });
});
