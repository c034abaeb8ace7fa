// The subnet's current private track (score-technologies/turbovision, MINER.md): POST /challenge
// with {challenge_id, video_url}; the reply predicts actions: {challenge_id, prediction: {type, items:
// [{frame, action, confidence}]}, processing_time}. The validator times out after 30 s.

import { z } from 'zod';
import { hashJson } from './canonical.js';
import { checkEcho, parseReply } from './reply.js';
import type { AnswerCheck, MinerProtocol } from './types.js';

const itemSchema = z.object({
  frame: z.number().int(),
  action: z.string(),
  confidence: z.number().min(0).max(1),
});
export const turbovisionReplySchema = z.object({
  challenge_id: z.string(),
  prediction: z.object({ type: z.string(), items: z.array(itemSchema) }),
  processing_time: z.number().optional(),
});

export const turbovisionProtocol: MinerProtocol = {
  name: 'turbovision',
  path: '/challenge',
  timeoutS: 30,
  request: (challengeId, videoUrl) => ({ challenge_id: challengeId, video_url: videoUrl }),
  check(body, expected): AnswerCheck {
    const parsed = parseReply(body, turbovisionReplySchema);
    if (!parsed.ok) return parsed;
    const echo = checkEcho(parsed.value.challenge_id, expected.challengeId);
    if (echo) return { ok: false, error: echo };
    const { frameCount } = expected.video;
    for (const [i, item] of parsed.value.prediction.items.entries()) {
      if (item.frame < 0 || (frameCount !== null && item.frame >= frameCount)) {
        return {
          ok: false,
          error: { reason: 'answer-frames', message: `prediction.items[${i}].frame ${item.frame} is outside the video's frames 0..${frameCount === null ? '?' : frameCount - 1}` },
        };
      }
    }
    return { ok: true, answer: { kind: 'actions', items: parsed.value.prediction.items }, hash: hashJson(parsed.value.prediction) };
  },
};
