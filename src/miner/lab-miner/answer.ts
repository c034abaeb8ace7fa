// The pipeline's answer in the sn44 reply schema, as the fork's miner sends it.

import type { FrameAnswer } from '../../pipeline/types.js';
import { SN44_KEYPOINTS, type Sn44Reply } from '../protocol/index.js';

/** The lab has no pitch model: every frame carries 32 keypoints at (0, 0), as a miner sends undetected ones. */
const NO_KEYPOINTS: [number, number][] = Array.from({ length: SN44_KEYPOINTS }, () => [0, 0]);

const round2 = (v: number) => Math.round(v * 100) / 100;

export function sn44Reply(challengeId: string, answer: readonly FrameAnswer[], processingTimeS: number): Sn44Reply {
  return {
    challenge_id: challengeId,
    frames: answer.map((f) => ({
      frame_number: f.frameNumber,
      keypoints: NO_KEYPOINTS,
      objects: f.objects.map((o, i) => ({ id: i, bbox: o.bbox.map(round2) as [number, number, number, number], class_id: o.classId })),
    })),
    processing_time: round2(processingTimeS),
  };
}
