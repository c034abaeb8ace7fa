// What a report shows, as plain data: the emitter builds it from the store, the charts and the HTML
// are pure functions of it (so a report can be rewritten at any time from what was saved).

import type { Config } from '../pipeline/types.js';

/** Critical-path segments of a challenge's timeline, in seconds (see stages.ts). */
export interface StageBreakdown {
  connect: number;
  firstByte: number;
  download: number;
  decode: number;
  inference: number;
  wait: number;
}

export interface ReportTrial {
  number: number;
  rank: number | null;
  params: Config;
  state: string;
  feasible: boolean;
  baseline: string | null;
  /** Median total time (s) and its bootstrap 95% interval. */
  median: number | null;
  low: number | null;
  high: number | null;
  p90: number | null;
  accuracy: number | null;
  coverage: number | null;
  sn44: number | null;
  /** Box and keypoint quality behind sn44, used to redraw it for other t_min values. */
  quality: number | null;
  bboxQuality: number | null;
  /** Indistinguishable from the best by the rank test. */
  tiedWithBest: boolean;
  stages: StageBreakdown | null;
  /** Objective value used for best-so-far, null when the trial produced none. */
  value: number | null;
  /** Gain over each baseline's median time, as a ratio baseline/this (>1 is faster). */
  speedups: Record<string, number>;
}

export interface ReportData {
  study: string;
  objective: string;
  direction: 'minimize' | 'maximize';
  space: string;
  host: string;
  created: string;
  generated: string;
  tMin: number;
  winner: number | null;
  /** Trials in rank order (feasible first). */
  trials: ReportTrial[];
  /** Knob names searched, in space order. */
  knobs: string[];
  notes: string[];
}
