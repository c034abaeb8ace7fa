// Stage marks of one challenge, kept as performance.now() values and reported in seconds from t0.

import type { Timeline } from '../types.js';

export type Stage = keyof Timeline;

export const STAGES: readonly Stage[] = [
  'connected',
  'firstByte',
  'downloadEnd',
  'decoderStart',
  'firstFrame',
  'firstBatch',
  'lastFrame',
  'total',
];

export class StageClock {
  readonly t0 = performance.now();
  private readonly marks: Partial<Record<Stage, number>> = {};

  /** Records a stage at `at` (default now); the first record of a stage wins. */
  mark(stage: Stage, at: number = performance.now()): void {
    this.marks[stage] ??= at;
  }

  /** Overwrites a stage (e.g. the last frame answered moves on with every batch). */
  set(stage: Stage, at: number = performance.now()): void {
    this.marks[stage] = at;
  }

  has(stage: Stage): boolean {
    return this.marks[stage] !== undefined;
  }

  /** Seconds since t0. */
  elapsed(at: number = performance.now()): number {
    return (at - this.t0) / 1000;
  }

  timeline(): Timeline {
    const out = {} as Timeline;
    for (const stage of STAGES) {
      const at = this.marks[stage];
      out[stage] = at === undefined ? null : Math.max(0, round((at - this.t0) / 1000));
    }
    return out;
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

/** How long each stage was busy, in seconds (spans overlap when download and decode stream). */
export interface StageDurations {
  /** t0 -> connection ready (0 with a warm pool). */
  connect: number | null;
  /** Connection ready -> first body byte (request + server latency). */
  wait: number | null;
  /** First byte -> download end. */
  download: number | null;
  /** Decoder start -> last decoded frame, less the time decoding waited for the model (back-pressure). */
  decode: number | null;
  /** Sum of the model's batch times (busy, not span). */
  infer: number | null;
}

/** The stage with the longest duration: where a faster config has most to win. */
export function bottleneck(stages: StageDurations): { stage: keyof StageDurations; seconds: number } | null {
  let best: { stage: keyof StageDurations; seconds: number } | null = null;
  for (const [stage, seconds] of Object.entries(stages) as [keyof StageDurations, number | null][]) {
    if (seconds === null) continue;
    if (!best || seconds > best.seconds) best = { stage, seconds };
  }
  return best;
}
