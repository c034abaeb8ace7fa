// The legacy subnet's challenge (score-vision, and the latency-tuned fork): POST /soccer/challenge
// with {challenge_id, type: "gsr", video_url, created_at}; the reply lists frames with 32 pitch
// keypoints and boxes in original pixels. Checked as the validator reads it: the schema, the echoed
// id, class ids 0-3, 32 keypoints per frame, frame numbers inside the video, boxes inside the frame.

import { z } from 'zod';
import type { ChallengeError, FrameAnswer } from '../../pipeline/types.js';
import { hashJson } from './canonical.js';
import { checkEcho, parseReply } from './reply.js';
import type { AnswerCheck, MinerProtocol, VideoShape } from './types.js';

export const SN44_KEYPOINTS = 32;
export const SN44_CLASS_IDS = [0, 1, 2, 3] as const;
/** Boxes may overshoot the frame by rounding, not more. */
const EDGE_TOLERANCE_PX = 1;

const num = z.number().refine(Number.isFinite, 'not a finite number');
const objectSchema = z.object({
  id: z.union([z.number(), z.string()]).optional(),
  bbox: z.tuple([num, num, num, num]),
  class_id: z.number().int(),
});
const frameSchema = z.object({
  frame_number: z.number().int(),
  keypoints: z.array(z.tuple([num, num])),
  objects: z.array(objectSchema),
});
export const sn44ReplySchema = z.object({
  challenge_id: z.string(),
  frames: z.array(frameSchema),
  processing_time: z.number().optional(),
});
/** The command form's stdout: the same answer, its id optional (a script has no challenge to echo). */
const commandReplySchema = sn44ReplySchema.extend({ challenge_id: z.string().optional() });

export type Sn44Reply = z.infer<typeof sn44ReplySchema>;

export const sn44Protocol: MinerProtocol = {
  name: 'sn44',
  path: '/soccer/challenge',
  timeoutS: 240,
  request: (challengeId, videoUrl, now) => ({ challenge_id: challengeId, type: 'gsr', video_url: videoUrl, created_at: now.toISOString() }),
  check(body, expected): AnswerCheck {
    const parsed = parseReply(body, expected.challengeId === null ? commandReplySchema : sn44ReplySchema);
    if (!parsed.ok) return parsed;
    const echo = checkEcho(parsed.value.challenge_id ?? '', expected.challengeId);
    if (echo) return { ok: false, error: echo };
    const problem = checkFrames(parsed.value.frames, expected.video);
    if (problem) return { ok: false, error: problem };
    return { ok: true, answer: { kind: 'boxes', frames: toFrameAnswers(parsed.value.frames) }, hash: hashJson(parsed.value.frames) };
  },
};

function checkFrames(frames: Sn44Reply['frames'], video: VideoShape): ChallengeError | null {
  const seen = new Set<number>();
  for (const [i, f] of frames.entries()) {
    const where = `frames[${i}] (frame_number ${f.frame_number})`;
    if (f.keypoints.length !== SN44_KEYPOINTS) {
      return { reason: 'answer-schema', message: `${where} has ${f.keypoints.length} keypoints, not ${SN44_KEYPOINTS}` };
    }
    if (f.frame_number < 0 || (video.frameCount !== null && f.frame_number >= video.frameCount)) {
      return { reason: 'answer-frames', message: `${where} is outside the video's frames 0..${video.frameCount === null ? '?' : video.frameCount - 1}` };
    }
    if (seen.has(f.frame_number)) return { reason: 'answer-frames', message: `${where} is answered twice` };
    seen.add(f.frame_number);
    for (const [j, o] of f.objects.entries()) {
      const box = `${where}.objects[${j}]`;
      if (!(SN44_CLASS_IDS as readonly number[]).includes(o.class_id)) {
        return { reason: 'answer-schema', message: `${box}.class_id ${o.class_id} is not a class id (0 ball, 1 goalkeeper, 2 player, 3 referee)` };
      }
      const [x1, y1, x2, y2] = o.bbox;
      if (x2 < x1 || y2 < y1) return { reason: 'answer-schema', message: `${box}.bbox [${o.bbox.join(', ')}] is not [x1, y1, x2, y2]` };
      const { width, height } = video;
      const outside =
        x1 < -EDGE_TOLERANCE_PX || y1 < -EDGE_TOLERANCE_PX ||
        (width !== null && x2 > width + EDGE_TOLERANCE_PX) || (height !== null && y2 > height + EDGE_TOLERANCE_PX);
      if (outside) {
        return {
          reason: 'answer-frames',
          message: `${box}.bbox [${o.bbox.join(', ')}] lies outside the ${width ?? '?'}x${height ?? '?'} frame (boxes are in original pixels)`,
        };
      }
    }
  }
  return null;
}

function toFrameAnswers(frames: Sn44Reply['frames']): FrameAnswer[] {
  return frames
    .map((f) => ({
      frameNumber: f.frame_number,
      // The reply carries no confidence: every box counts the same in matching.
      objects: f.objects.map((o) => ({ bbox: [...o.bbox] as [number, number, number, number], classId: o.class_id, score: 1 })),
    }))
    .sort((a, b) => a.frameNumber - b.frameNumber);
}
