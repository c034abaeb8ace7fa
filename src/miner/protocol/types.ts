// A miner's challenge protocol: the request a validator sends and how it checks the reply.

import type { ActionItem } from '../../score/actions.js';
import type { ChallengeError, FrameAnswer } from '../../pipeline/types.js';

export const PROTOCOL_NAMES = ['sn44', 'turbovision'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** What the answer is checked against: the video's container facts (null when unknown). */
export interface VideoShape {
  frameCount: number | null;
  width: number | null;
  height: number | null;
}

/** A checked answer: per-frame boxes (sn44) or action items (turbovision). */
export type MinerAnswer = { kind: 'boxes'; frames: FrameAnswer[] } | { kind: 'actions'; items: ActionItem[] };

export type AnswerCheck = { ok: true; answer: MinerAnswer; hash: string } | { ok: false; error: ChallengeError };

export interface MinerProtocol {
  name: ProtocolName;
  /** Path of the challenge route under the miner's URL. */
  path: string;
  /** The validator's HTTP timeout, seconds. */
  timeoutS: number;
  request(challengeId: string, videoUrl: string, now: Date): Record<string, unknown>;
  /** Checks the reply body as a validator would; `challengeId` null skips the echo check. */
  check(body: string, expected: { challengeId: string | null; video: VideoShape }): AnswerCheck;
}
