// The answer checks a validator applies, on hand-written replies.
import { describe, expect, it } from 'vitest';
import { protocolNamed } from '../../src/miner/protocol/index.js';

const video = { frameCount: 50, width: 640, height: 360 };
const keypoints = Array.from({ length: 32 }, () => [0, 0]);
const frame = (n: number, objects: unknown[] = [{ id: 1, bbox: [10, 20, 40, 90], class_id: 2 }]) => ({ frame_number: n, keypoints, objects });
const reply = (over: Record<string, unknown> = {}) => JSON.stringify({ challenge_id: 'c-1', frames: [frame(0), frame(1)], processing_time: 0.5, ...over });

describe('sn44 answer checks', () => {
  const sn44 = protocolNamed('sn44');
  const check = (body: string, challengeId: string | null = 'c-1') => sn44.check(body, { challengeId, video });

  it('accepts a well-formed answer: frames sorted, boxes in original pixels, one hash for equal answers', () => {
    const ok = check(JSON.stringify({ challenge_id: 'c-1', frames: [frame(3), frame(1)] }));
    expect(ok.ok).toBe(true);
    if (!ok.ok || ok.answer.kind !== 'boxes') return;
    expect(ok.answer.frames.map((f) => f.frameNumber)).toEqual([1, 3]);
    expect(ok.answer.frames[0]!.objects[0]).toEqual({ bbox: [10, 20, 40, 90], classId: 2, score: 1 });
    const again = check(JSON.stringify({ frames: [frame(3), frame(1)], processing_time: 9, challenge_id: 'c-1' }));
    expect(again.ok && again.hash).toBe(ok.hash);
    expect(sn44.request('c-1', 'https://v/x.mp4', new Date(0))).toEqual({ challenge_id: 'c-1', type: 'gsr', video_url: 'https://v/x.mp4', created_at: '1970-01-01T00:00:00.000Z' });
  });

  it.each([
    ['not JSON', '{"frames": [', 'answer-schema', /the reply is not JSON/],
    ['a wrong shape', reply({ frames: [{ frame_number: 0, keypoints, objects: [{ bbox: 'x', class_id: 2 }] }] }), 'answer-schema', /frames\[0\]\.objects\[0\]\.bbox/],
    ['another challenge_id', reply({ challenge_id: 'c-2' }), 'answer-schema', /challenge_id "c-2" does not echo the challenge's "c-1"/],
    ['a class id past 3', reply({ frames: [frame(0, [{ id: 1, bbox: [1, 1, 5, 5], class_id: 7 }])] }), 'answer-schema', /class_id 7 is not a class id/],
    ['17 keypoints', reply({ frames: [{ ...frame(0), keypoints: keypoints.slice(15) }] }), 'answer-schema', /has 17 keypoints, not 32/],
    ['a frame past the video', reply({ frames: [frame(0), frame(50)] }), 'answer-frames', /frame_number 50\) is outside the video's frames 0\.\.49/],
    ['a frame twice', reply({ frames: [frame(4), frame(4)] }), 'answer-frames', /answered twice/],
    ['a box outside the frame', reply({ frames: [frame(0, [{ id: 1, bbox: [600, 300, 700, 350], class_id: 2 }])] }), 'answer-frames', /lies outside the 640x360 frame/],
  ])('refuses %s', (_what, body, reason, message) => {
    const result = check(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.reason).toBe(reason);
    expect(result.error.message).toMatch(message);
  });

  it('the command form needs no challenge_id', () => {
    expect(check(JSON.stringify({ frames: [frame(0)] }), null).ok).toBe(true);
  });
});

describe('turbovision answer checks', () => {
  const tv = protocolNamed('turbovision');
  const body = (items: unknown[], id = 't-1') => JSON.stringify({ challenge_id: id, prediction: { type: 'soccer_action', items }, processing_time: 1 });

  it('accepts action items inside the video and hashes the prediction', () => {
    const ok = tv.check(body([{ frame: 10, action: 'pass', confidence: 0.9 }]), { challengeId: 't-1', video });
    expect(ok).toMatchObject({ ok: true, answer: { kind: 'actions', items: [{ frame: 10, action: 'pass', confidence: 0.9 }] } });
    const other = tv.check(body([{ frame: 11, action: 'pass', confidence: 0.9 }]), { challengeId: 't-1', video });
    expect(ok.ok && other.ok && ok.hash !== other.hash).toBe(true);
    expect(tv.request('t-1', 'https://v/x.mp4', new Date())).toEqual({ challenge_id: 't-1', video_url: 'https://v/x.mp4' });
    expect([tv.path, tv.timeoutS]).toEqual(['/challenge', 30]);
  });

  it('refuses items past the video, a missing prediction and another id', () => {
    expect(tv.check(body([{ frame: 60, action: 'pass', confidence: 0.5 }]), { challengeId: 't-1', video })).toMatchObject({ ok: false, error: { reason: 'answer-frames' } });
    expect(tv.check('{"challenge_id":"t-1"}', { challengeId: 't-1', video })).toMatchObject({ ok: false, error: { reason: 'answer-schema', message: expect.stringMatching(/prediction/) } });
    expect(tv.check(body([], 'x'), { challengeId: 't-1', video })).toMatchObject({ ok: false, error: { reason: 'answer-schema' } });
  });
});
