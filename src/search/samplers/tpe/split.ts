// TPE's split of the history into a "good" (below) and a "bad" (above) group, constraint-aware like
// Optuna's constrained TPE: feasible trials rank first by value, then infeasible ones by violation;
// failed trials (and complete ones without a value) are always bad; PRUNED/RUNNING are ignored.
import type { Direction, TrialSummary } from '../types.js';

/** Size of the good group for n usable trials (Optuna's default). */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Trials TPE learns from: finished ones (COMPLETE or FAIL). */
export function usableTrials(history: readonly TrialSummary[]): TrialSummary[] {
  return history.filter((t) => t.state === 'COMPLETE' || t.state === 'FAIL');
}

/** Trials being measured now (another worker's): TPE's constant liar counts them as the worst. */
export function pendingTrials(history: readonly TrialSummary[]): TrialSummary[] {
  return history.filter((t) => t.state === 'RUNNING');
}

function tier(t: TrialSummary): number {
  if (t.state !== 'COMPLETE') return 2;
  if (t.feasible) return t.value !== null && Number.isFinite(t.value) ? 0 : 2;
  return 1;
}

/** Usable trials best first. */
export function rankTrials(trials: readonly TrialSummary[], direction: Direction): TrialSummary[] {
  const sign = direction === 'minimize' ? 1 : -1;
  const valueOf = (t: TrialSummary): number =>
    t.value !== null && Number.isFinite(t.value) ? sign * t.value : Number.POSITIVE_INFINITY;
  return [...trials].sort((a, b) => {
    const ta = tier(a);
    const tb = tier(b);
    if (ta !== tb) return ta - tb;
    if (ta === 1 && a.violation !== b.violation) return a.violation - b.violation;
    if (ta !== 2) {
      const d = valueOf(a) - valueOf(b);
      if (d !== 0 && !Number.isNaN(d)) return d;
    }
    return a.number - b.number;
  });
}

export function splitTrials(
  trials: readonly TrialSummary[],
  direction: Direction,
  gamma: (n: number) => number = defaultGamma,
): { below: TrialSummary[]; above: TrialSummary[] } {
  const ranked = rankTrials(trials, direction);
  const nBelow = Math.max(1, Math.min(ranked.length, gamma(ranked.length)));
  const below: TrialSummary[] = [];
  const above: TrialSummary[] = [];
  ranked.forEach((t, i) => (i < nBelow && tier(t) < 2 ? below : above).push(t));
  return { below, above };
}
