// Did the host's speed change under the study? The control's times are watched: each is divided by
// its video's speed at the start (the median of that video's first measurements), a rolling median
// runs over these normalised times, and the drift factor is its slowest value over its fastest. The
// host drifted when the factor passes DRIFT_FACTOR and also what the control's own noise explains:
// the spread of each time around the median of its neighbours, which a slow change of speed leaves
// alone (up to DRIFT_FACTOR_CAP: a move beyond it is drift however noisy the control). Or when a
// baseline's race figures fall outside the interval of its figures before the race by more than
// DRIFT_FACTOR (one figure is no interval: one challenge's noise, or a cold first challenge, is not a
// change of the host's speed).

import type { ControlSeries } from './control.js';
import { bootstrapMedianInterval, median } from './stats.js';

/** A rolling median that moves more than this (slowest / fastest) is drift. */
export const DRIFT_FACTOR = 1.15;
/**
 * A rolling median that moves more than this is drift whatever the control's noise: a short series
 * with a step in it reads the step as noise, and a host whose control swings by half is no place to
 * rank configs on their absolute figures either.
 */
export const DRIFT_FACTOR_CAP = 1.5;

export interface DriftPoint {
  /** Measurement id (the time order), video, phase and time of the control's challenge. */
  id: number;
  videoUrl: string;
  phase: string;
  total: number;
  /** total / the video's reference speed. */
  normalised: number;
  /** Rolling median of the normalised times ending here; null before the first full window. */
  rolling: number | null;
}

export interface Drift {
  detected: boolean;
  /** Slowest rolling median / fastest (1 when unknown); from the race check when there is no control. */
  factor: number;
  /** The factor above which this study calls it drift. */
  threshold: number;
  /** Where the verdict comes from: the control's series, the baselines' race figures, or nothing yet. */
  source: 'control' | 'race' | null;
  window: number;
  /** The control's noise: 1.4826 x MAD of the log of each normalised time over the median of its neighbours. */
  spread: number;
  points: DriftPoint[];
}

export const NO_DRIFT: Drift = { detected: false, factor: 1, threshold: DRIFT_FACTOR, source: null, window: 0, spread: 0, points: [] };

/** Points a rolling median spans at least: fewer let a quiet host's noise pass for drift. */
export const DRIFT_WINDOW = 4;
/** Neighbours on each side of a point that its noise is measured against. */
const NOISE_REACH = 2;

/** The drift verdict from the control's series (`videos`: how many videos a control round measures). */
export function assessDrift(series: ControlSeries, videos: number): Drift {
  const window = Math.max(DRIFT_WINDOW, videos);
  const refs = new Map(series.videos().map((v) => [v, series.reference(v)!]));
  const points: DriftPoint[] = series.points.map((p) => {
    const normalised = p.total / refs.get(p.videoUrl)!;
    return { id: p.id, videoUrl: p.videoUrl, phase: p.phase, total: p.total, normalised, rolling: null };
  });
  const rolling: number[] = [];
  for (let i = window - 1; i < points.length; i++) {
    const r = median(points.slice(i - window + 1, i + 1).map((p) => p.normalised))!;
    points[i]!.rolling = r;
    rolling.push(r);
  }
  const spread = localNoise(points.map((p) => p.normalised));
  // A rolling median of `window` values has a standard error of about 1.25 x spread / sqrt(window);
  // on a steady host its highest and lowest values over a study stay within some three of those
  // either side of the truth, so a factor under six of them is noise (on a quiet 2-core lab host the
  // control's noise was 2-12% a challenge).
  const threshold = Math.min(DRIFT_FACTOR_CAP, Math.max(DRIFT_FACTOR, Math.exp((6 * 1.25 * spread) / Math.sqrt(window))));
  const factor = rolling.length >= 2 ? Math.max(...rolling) / Math.min(...rolling) : 1;
  return { detected: factor > threshold, factor, threshold, source: rolling.length >= 2 ? 'control' : null, window, spread, points };
}

/** 1.4826 x the median absolute log ratio of each value to the median of it and its neighbours. */
function localNoise(values: readonly number[]): number {
  if (values.length < 3) return 0;
  const logs = values.map((v, i) => Math.abs(Math.log(v / median(values.slice(Math.max(0, i - NOISE_REACH), i + NOISE_REACH + 1))!)));
  return 1.4826 * median(logs)!;
}

/**
 * The race check: a trial's race median against the bootstrap interval of its median before the race.
 * Returns the shift (race / before, or its inverse when faster) when the race median lies outside the
 * interval and moved by more than DRIFT_FACTOR; else null (as with one figure before: no interval).
 */
export function raceShift(search: readonly number[], race: readonly number[], seed: number): number | null {
  const s = median(search);
  const r = median(race);
  const interval = bootstrapMedianInterval(search, { seed });
  if (s === null || r === null || interval === null || s <= 0 || r <= 0) return null;
  const shift = Math.max(r / s, s / r);
  const outside = r < interval.low || r > interval.high;
  return outside && shift > DRIFT_FACTOR ? shift : null;
}

/** The run's one-line warning. */
export function driftWarning(drift: Drift, control: string | null): string {
  const by = `${drift.factor.toFixed(2)}x`;
  const what =
    drift.source === 'race'
      ? `the baselines' race figures moved ${by} from their search figures`
      : `the control${control ? ` (${control})` : ''} ran ${by} slower at its slowest than at its fastest`;
  return (
    `warning: the host's speed changed during the study: ${what}; ` +
    (drift.source === 'control' ? 'trials are ranked by their ratio to the control measured near them. ' : 'absolute figures are not comparable across the study. ') +
    'Keep other work off this host while tuning, or rerun the study when it is quiet.'
  );
}
