// The control: one fixed config (a baseline) measured throughout the study, so every measurement can
// be set against the control's measurement on the same video taken nearest to it in time. Its series
// is every successful measurement of the control's trial, in the order they were taken: its own
// search measurements, the control rounds between trials, and its race rounds. Measurement ids are
// the time order (the store hands them out as measurements are committed).

import { speedScore } from '../score/sn44.js';
import type { MeasurementRecord, ObjectiveSpec, Phase, TrialRecord } from '../store/types.js';
import { bootstrapMedianInterval, median } from './stats.js';

export interface ControlPoint {
  id: number;
  videoUrl: string;
  total: number;
  phase: Phase;
}

/** Measurements of a video at the start of the control's series that set its reference speed. */
export const FIRST_WINDOW = 3;

export class ControlSeries {
  readonly points: ControlPoint[];
  private readonly byVideo = new Map<string, ControlPoint[]>();

  private constructor(
    readonly trial: TrialRecord,
    points: ControlPoint[],
  ) {
    this.points = points;
    for (const p of points) {
      const list = this.byVideo.get(p.videoUrl);
      if (list) list.push(p);
      else this.byVideo.set(p.videoUrl, [p]);
    }
  }

  /** The series of the control's trial among `measurements` (any order). */
  static of(trial: TrialRecord, measurements: readonly MeasurementRecord[]): ControlSeries {
    const points = measurements
      .filter((m) => m.trialId === trial.id && m.error === null && isPositive(m.timeline.total))
      .map((m) => ({ id: m.id, videoUrl: m.videoUrl, total: m.timeline.total!, phase: m.phase }))
      .sort((a, b) => a.id - b.id);
    return new ControlSeries(trial, points);
  }

  /** The series as it was when measurement `id` was taken. */
  until(id: number): ControlSeries {
    return new ControlSeries(this.trial, this.points.filter((p) => p.id <= id));
  }

  /** The series with one more point (ids only grow). */
  with(m: MeasurementRecord): ControlSeries {
    if (m.trialId !== this.trial.id || m.error !== null || !isPositive(m.timeline.total)) return this;
    return new ControlSeries(this.trial, [...this.points, { id: m.id, videoUrl: m.videoUrl, total: m.timeline.total, phase: m.phase }]);
  }

  /**
   * The control's level on the video near measurement `id`: the median of its `points` measurements of
   * that video nearest in time (the earlier on a tie), so one unlucky control challenge does not move
   * every trial measured near it.
   */
  levelNear(videoUrl: string, id: number, points: number): number | null {
    const list = this.byVideo.get(videoUrl) ?? [];
    const near: number[] = [];
    let after = firstAtOrAfter(list, id);
    let before = after - 1;
    while (near.length < points && (before >= 0 || after < list.length)) {
      const takeBefore = after >= list.length || (before >= 0 && id - list[before]!.id <= list[after]!.id - id);
      near.push(takeBefore ? list[before--]!.total : list[after++]!.total);
    }
    return median(near);
  }

  /** The control's measurements on the same video just before and just after measurement `id`. */
  around(videoUrl: string, id: number): { before: ControlPoint | null; after: ControlPoint | null } {
    const list = this.byVideo.get(videoUrl) ?? [];
    const at = firstAtOrAfter(list, id);
    return { before: list[at - 1] ?? null, after: list[at] ?? null };
  }

  /** The median of the video's first FIRST_WINDOW measurements: its speed at the start of the study. */
  reference(videoUrl: string): number | null {
    return median((this.byVideo.get(videoUrl) ?? []).slice(0, FIRST_WINDOW).map((p) => p.total));
  }

  videos(): string[] {
    return [...this.byVideo.keys()];
  }
}

/** The control's trial: the finished baseline trial of that name (null when there is none). */
export function findControlTrial(trials: readonly TrialRecord[], name: string | null): TrialRecord | null {
  if (name === null) return null;
  return trials.find((t) => t.baseline === name && t.state === 'COMPLETE') ?? null;
}

/**
 * Takes the host's speed out of a measurement by setting it against the control measured near it on
 * the same video: the measurement nearest in time, or the control's local level (see levelNear).
 */
export interface Normaliser {
  readonly series: ControlSeries;
  /** total / the control's total near it in time on the same video; null for a failed challenge. */
  ratio(m: MeasurementRecord): number | null;
  /**
   * The objective's per-challenge value with the speed change taken out: the ratio (fastest-safe),
   * or the SN44 estimate recomputed for the time the challenge would have taken at the control's
   * reference speed (sn44).
   */
  value(m: MeasurementRecord): number | null;
  /**
   * The value against the control measured just before it and against the one just after it (the
   * same twice when only one side was measured): when the host's speed changed between those two,
   * the measurement could have been taken at either speed, and the two values bound it.
   */
  bracket(m: MeasurementRecord): [number, number] | null;
}

/**
 * Control measurements of a video whose median is the control's level near a challenge while the host
 * is steady. Once it drifted, the single nearest measurement is used: a median reaching back across a
 * change of speed would read the old speed (and the control is then measured twice as often).
 */
export const LEVEL_POINTS = 3;

export function createNormaliser(series: ControlSeries, objective: ObjectiveSpec, options: { steady?: boolean } = {}): Normaliser {
  const against = (m: MeasurementRecord, control: number | null): number | null => {
    if (m.error !== null || !isPositive(m.timeline.total) || control === null) return null;
    const total = m.timeline.total;
    if (objective.kind === 'fastest-safe') return total / control;
    const ref = series.reference(m.videoUrl);
    if (m.sn44 === null || ref === null) return null;
    const atReference = total * (ref / control);
    return m.sn44 + 0.35 * (speedScore(atReference, 1, objective.tMin) - speedScore(total, 1, objective.tMin));
  };
  const near = (m: MeasurementRecord): number | null =>
    series.levelNear(m.videoUrl, m.id, options.steady ? LEVEL_POINTS : 1);
  return {
    series,
    ratio(m) {
      if (m.error !== null || !isPositive(m.timeline.total)) return null;
      const control = near(m);
      return control !== null ? m.timeline.total / control : null;
    },
    value: (m) => against(m, near(m)),
    bracket(m) {
      const { before, after } = series.around(m.videoUrl, m.id);
      const a = against(m, (before ?? after)?.total ?? null);
      const b = against(m, (after ?? before)?.total ?? null);
      return a === null || b === null ? null : [a, b];
    },
  };
}

export interface RatioToControl {
  median: number;
  /** Its bootstrap 95% interval; null from one pair. */
  low: number | null;
  high: number | null;
  /** Pairs behind it. */
  n: number;
}

/** Median of a trial's ratios to the control, with a bootstrap 95% interval; null without pairs. */
export function ratioToControl(measurements: readonly MeasurementRecord[], normaliser: Normaliser, seed: number): RatioToControl | null {
  const ratios = measurements.map((m) => normaliser.ratio(m)).filter((r): r is number => r !== null);
  const mid = median(ratios);
  if (mid === null) return null;
  const interval = bootstrapMedianInterval(ratios, { seed });
  return { median: mid, low: interval?.low ?? null, high: interval?.high ?? null, n: ratios.length };
}

/** Index of the first point with an id of at least `id` (the list is in id order). */
function firstAtOrAfter(list: readonly ControlPoint[], id: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isPositive(v: number | null): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}
