// From a trial's measurements to its objective: the value (from medians), whether it is feasible,
// and how far from feasible it is (for constraint-aware samplers).
//
// fastest-safe: minimise the median total time over every challenge of the trial, subject to
//   (a) no failed challenge and (b) accuracy >= floor x reference accuracy, where accuracy is the
//   lowest per-video median F1 against the reference (the reference scores 1.0 against itself).
//   violation = share of failed challenges + shortfall of accuracy under the floor.
// sn44: maximise the median SN44 estimate (computed by the evaluator with --t-min); feasible when
//   no challenge failed; violation = share of failed challenges.
// requireReproducible (either objective): a trial whose repeated answers on one video differ (their
//   answer hashes) is infeasible; violation += share of such videos.

import type { ObjectiveSpec, TrialOutcome } from '../store/types.js';
import type { Direction } from '../search/index.js';
import { bootstrapMedianInterval, median, p90, valuesByVideo, type Interval } from './stats.js';

/** What the objective needs of a measurement (a stored one or a fresh ChallengeResult). */
export interface Observation {
  videoUrl: string;
  total: number | null;
  accuracy: number | null;
  coverage: number | null;
  truthF1: number | null;
  sn44: number | null;
  error: { reason: string; message: string } | null;
  /** Restart-to-ready seconds before the challenge (a miner switched to this config); null/absent when none. */
  setupS?: number | null;
  /** Hash of the answer; null/absent when the evaluator does not hash answers. */
  answerHash?: string | null;
}

export interface TrialFigures {
  value: number | null;
  feasible: boolean;
  violation: number;
  /** Why the trial is infeasible, in words; null when feasible. */
  why: string | null;
  challenges: number;
  failed: number;
  failureReasons: Record<string, number>;
  /** The first failed challenge's reason and message, as an example for reports. */
  firstError: string | null;
  /** Seconds, over the successful challenges. */
  median: number | null;
  p90: number | null;
  /** Bootstrap 95% interval of the median; null from fewer than 2 successful challenges (one figure has none). */
  interval: Interval | null;
  /** Lowest per-video median accuracy. */
  accuracy: number | null;
  coverage: number | null;
  truthF1: number | null;
  sn44: number | null;
  /**
   * Whether the repeated answers on each video were identical: true/false when some video was
   * answered more than once with a hash, null when nothing could be compared.
   */
  reproducible: boolean | null;
  /** Median restart-to-ready seconds of the restarts among these measurements; null when none. */
  setupS: number | null;
  /** The successful challenges' totals, for rank tests. */
  totals: number[];
  sn44s: number[];
}

export function directionOf(objective: ObjectiveSpec): Direction {
  return objective.kind === 'sn44' ? 'maximize' : 'minimize';
}

const finite = (values: (number | null)[]) => values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

/** `seed` seeds the bootstrap interval; null skips it (the runner only needs value and feasibility). */
export function evaluateObjective(observations: readonly Observation[], objective: ObjectiveSpec, seed: number | null = 1): TrialFigures {
  const ok = observations.filter((o) => o.error === null);
  const failureReasons: Record<string, number> = {};
  for (const o of observations) if (o.error) failureReasons[o.error.reason] = (failureReasons[o.error.reason] ?? 0) + 1;
  const failed = observations.length - ok.length;
  const totals = finite(ok.map((o) => o.total));
  const sn44s = finite(ok.map((o) => o.sn44));
  const perVideoAccuracy = [...valuesByVideo(ok, (o) => o.accuracy).values()].map((v) => median(v)!);
  const accuracy = perVideoAccuracy.length ? Math.min(...perVideoAccuracy) : null;

  const figures: TrialFigures = {
    value: null,
    feasible: false,
    violation: 0,
    why: null,
    challenges: observations.length,
    failed,
    failureReasons,
    firstError: observations.find((o) => o.error)?.error ? describeError(observations.find((o) => o.error)!.error!) : null,
    median: median(totals),
    p90: p90(totals),
    interval: seed === null ? null : bootstrapMedianInterval(totals, { seed }),
    accuracy,
    coverage: median(finite(ok.map((o) => o.coverage))),
    truthF1: median(finite(ok.map((o) => o.truthF1))),
    sn44: median(sn44s),
    reproducible: null,
    setupS: median(finite(observations.map((o) => o.setupS ?? null))),
    totals,
    sn44s,
  };
  const differing = videosWithDifferentAnswers(ok);
  figures.reproducible = differing === null ? null : differing.length === 0;
  const failedShare = observations.length ? failed / observations.length : 1;
  const reasons: string[] = [];
  if (observations.length === 0) reasons.push('no challenge measured');
  else if (failed > 0) reasons.push(`${failed}/${observations.length} challenges failed (${describeReasons(failureReasons)})`);

  if (objective.kind === 'sn44') {
    figures.value = figures.sn44;
    if (ok.length > 0 && figures.sn44 === null) reasons.push('no SN44 estimate measured');
    figures.violation = failedShare + (ok.length > 0 && figures.sn44 === null ? 1 : 0);
  } else {
    figures.value = figures.median;
    const floor = objective.accuracyFloor; // x the reference's accuracy, which is 1.0 against itself
    let shortfall = 0;
    if (ok.length > 0 && accuracy === null) {
      reasons.push('no accuracy measured (no reference answer)');
      shortfall = 1;
    } else if (accuracy !== null && accuracy < floor) {
      reasons.push(`accuracy ${accuracy.toFixed(3)} < floor ${floor}`);
      shortfall = floor - accuracy;
    }
    figures.violation = failedShare + shortfall;
  }
  if (objective.requireReproducible && differing !== null && differing.length > 0) {
    reasons.push(`answers differ between repeats (${differing.length} video(s))`);
    figures.violation += differing.length / new Set(ok.map((o) => o.videoUrl)).size;
  }
  figures.feasible = reasons.length === 0 && figures.value !== null;
  figures.why = figures.feasible ? null : reasons.join('; ') || 'no objective value';
  if (figures.feasible) figures.violation = 0;
  return figures;
}

/** How a trial whose challenges are all measured finishes: FAIL when every challenge failed, else COMPLETE with its figures. */
export function outcomeOf(figures: TrialFigures): TrialOutcome {
  const allFailed = figures.failed === figures.challenges;
  return {
    state: allFailed ? 'FAIL' : 'COMPLETE',
    reason: allFailed ? `every challenge failed: ${describeReasons(figures.failureReasons)}; first: ${figures.firstError}` : figures.why,
    value: figures.value,
    feasible: figures.feasible,
    violation: figures.violation,
  };
}

/** Videos whose hashed answers differ between repeats; null when no video has two hashed answers. */
function videosWithDifferentAnswers(ok: readonly Observation[]): string[] | null {
  const hashes = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const o of ok) {
    if (!o.answerHash) continue;
    hashes.set(o.videoUrl, (hashes.get(o.videoUrl) ?? new Set()).add(o.answerHash));
    counts.set(o.videoUrl, (counts.get(o.videoUrl) ?? 0) + 1);
  }
  if (![...counts.values()].some((n) => n >= 2)) return null;
  return [...hashes].filter(([, set]) => set.size > 1).map(([url]) => url);
}

export function describeReasons(reasons: Record<string, number>): string {
  return Object.entries(reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} x${count}`)
    .join(', ');
}

function describeError(error: { reason: string; message: string }): string {
  return `${error.reason}: ${error.message}`;
}
