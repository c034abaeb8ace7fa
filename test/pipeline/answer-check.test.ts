import { describe, expect, it } from 'vitest';
import { checkModelAnswer } from '../../src/pipeline/infer/answer-check.js';
import type { FrameAnswer } from '../../src/pipeline/types.js';

const frame = { width: 1280, height: 720 };
const box = (x: number, y: number, w: number, h: number, classId = 2) => ({ bbox: [x, y, x + w, y + h] as [number, number, number, number], classId, score: 0.9 });
const answer = (...perFrame: ReturnType<typeof box>[][]): FrameAnswer[] => perFrame.map((objects, frameNumber) => ({ frameNumber, objects }));

describe('checkModelAnswer', () => {
  it('passes players and a ball inside the frame, with the figures', () => {
    const check = checkModelAnswer({ answer: answer([box(100, 200, 20, 48), box(600, 300, 8, 8, 0)], [box(110, 200, 20, 48)]), frames: 4, frameSize: frame });
    expect(check).toEqual({ ok: true, problem: null, boxes: 3, boxesPerFrame: 0.75, unknownClasses: [], outsideShare: 0, frameSizedShare: 0 });
  });

  it('refuses an empty answer, and says a class map can cause it', () => {
    expect(checkModelAnswer({ answer: answer([], []), frames: 750, frameSize: frame }).problem).toBe('no box on any of 750 frames');
    expect(checkModelAnswer({ answer: [], frames: 750, frameSize: frame, classMapped: true }).problem).toBe(
      'no box on any of 750 frames (boxes of model classes outside --class-map are dropped, so a map that misses them answers nothing too)',
    );
  });

  it('refuses boxes only of classes SN44 does not know, and lets a few through', () => {
    const coco = checkModelAnswer({ answer: answer([box(10, 10, 20, 40, 56), box(50, 10, 20, 40, 5)], [box(10, 10, 20, 40, 56)]), frames: 2, frameSize: frame });
    expect(coco.ok).toBe(false);
    expect(coco.problem).toBe('all 3 boxes are of classes outside the SN44 classes 0, 1, 2, 3 (model classes 5, 56); map them with --class-map');
    const some = checkModelAnswer({ answer: answer([box(10, 10, 20, 40, 56), box(50, 10, 20, 40, 2)]), frames: 1, frameSize: frame });
    expect(some.ok).toBe(true);
    expect(some.unknownClasses).toEqual([56]);
  });

  it('refuses boxes covering most of the frame', () => {
    const check = checkModelAnswer({ answer: answer([box(0, 0, 1280, 720)], [box(0, 0, 1280, 720), box(100, 100, 20, 40)]), frames: 2, frameSize: frame });
    expect(check.ok).toBe(false);
    expect(check.frameSizedShare).toBeCloseTo(2 / 3, 9);
    expect(check.problem).toBe('67% of 3 boxes cover most of the 1280x720 frame (median box 1280x720)');
    // One in three is tolerated: a close-up can fill the frame.
    expect(checkModelAnswer({ answer: answer([box(0, 0, 1280, 720), box(1, 1, 9, 9), box(5, 5, 9, 9)]), frames: 1, frameSize: frame }).ok).toBe(true);
  });

  it('refuses boxes outside the frame or without size', () => {
    const check = checkModelAnswer({ answer: answer([box(0, 0, 0, 50), box(1300, 10, 20, 20)], [box(10, 10, 20, 40)]), frames: 2, frameSize: frame });
    expect(check.ok).toBe(false);
    expect(check.problem).toBe('67% of 3 boxes lie outside the 1280x720 frame or have no size');
  });

  it('checks only the count and the classes when the frame size is unknown', () => {
    const check = checkModelAnswer({ answer: answer([box(0, 0, 1280, 720)]), frames: 1, frameSize: null });
    expect(check).toMatchObject({ ok: true, outsideShare: null, frameSizedShare: null });
  });
});
