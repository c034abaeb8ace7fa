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
  /** The host that measured it. */
  host: string;
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
  /** Gain over each baseline's median time, as a ratio baseline/this (>1 is faster), figures of one phase. */
  speedups: Record<string, number>;
  /** Which figures each gain compares: both from the race, both from the search, or the search's ratios to the control. */
  speedupBasis: Record<string, 'race' | 'search' | 'control-normalised'>;
  /** Where the figures come from: the confirmation race or the search. */
  phase: 'search' | 'confirm';
  /** Median ratio to the control measured nearest in time, with its 95% interval (null from one pair). */
  ratio: { median: number; low: number | null; high: number | null } | null;
  repeats: number;
  raceRounds: number;
  /** Dropped by the race (the search's or the confirmation race's), with the p-value. */
  dropped: { phase: 'search' | 'confirm'; p: number; vs: number } | null;
  /** Challenges its early stop or its drop saved. */
  saved: number;
}

/** One of the control's challenges over the study, in the order taken. */
export interface ControlPoint {
  index: number;
  video: string;
  phase: string;
  total: number;
  /** total / the video's time at the start of the study. */
  normalised: number;
  /** Rolling median of the normalised times; null before the first full window. */
  rolling: number | null;
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
  /** The host's speed over the study, as the control saw it. */
  drift: { detected: boolean; factor: number; threshold: number };
  /** How the ranking orders trials: absolute figures, or their ratio to the control (after drift). */
  rankedBy: 'absolute' | 'control-normalised';
  control: { name: string; points: ControlPoint[] } | null;
  /** A study of several hosts: one ranking per host (each host's own figures and winner); null for one host. */
  hosts?: { host: string; winner: number | null; trials: ReportTrial[]; notes: string[] }[] | null;
}
