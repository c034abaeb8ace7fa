// Warnings about a trial's measurements, as hyperfine gives them, each with what to do: a first
// challenge much slower than the rest (cold caches, a model being loaded), and statistical outliers
// (modified z-score on the median absolute deviation).

import type { MeasurementRecord } from '../store/types.js';
import { median, modifiedZScores, OUTLIER_Z } from './stats.js';

export type WarningKind = 'slow-first' | 'outliers';

export interface TrialWarning {
  kind: WarningKind;
  message: string;
}

/** The first challenge is "much slower" above this multiple of the median of the others on its video. */
export const SLOW_FIRST_FACTOR = 1.5;

export const WARNING_ADVICE: Record<WarningKind, string> = {
  'slow-first':
    'the first challenge of a config paid for cold caches or loading its model; a miner that keeps its config loaded ' +
    'does not pay this per challenge: add --warmup 1 to run one unmeasured challenge per config first',
  outliers:
    'other work on the host probably interfered with these challenges; keep the host quiet while tuning, ' +
    'or raise --max-repeats so the medians absorb them',
};

/** Warnings about one trial's measurements (of one phase, in the order taken). */
export function trialWarnings(measurements: readonly MeasurementRecord[]): TrialWarning[] {
  const ok = measurements.filter((m) => m.error === null && m.timeline.total !== null);
  const out: TrialWarning[] = [];
  const first = ok[0];
  if (first) {
    const rest = ok.slice(1).filter((m) => m.videoUrl === first.videoUrl).map((m) => m.timeline.total!);
    const typical = median(rest);
    if (typical !== null && first.timeline.total! > SLOW_FIRST_FACTOR * typical) {
      out.push({
        kind: 'slow-first',
        message: `first challenge ${first.timeline.total!.toFixed(3)} s, ${(first.timeline.total! / typical).toFixed(1)}x the median ${typical.toFixed(3)} s of the others on its video`,
      });
    }
  }
  // Pooled over videos, each time relative to its video's median, so videos of different lengths mix;
  // a slow first challenge already has its warning.
  if (out.length > 0) ok.shift();
  const medians = new Map<string, number>();
  for (const url of new Set(ok.map((m) => m.videoUrl))) medians.set(url, median(ok.filter((m) => m.videoUrl === url).map((m) => m.timeline.total!))!);
  const relative = ok.map((m) => m.timeline.total! / medians.get(m.videoUrl)!);
  if (relative.length >= 5) {
    const z = modifiedZScores(relative);
    const outliers = ok.filter((_, i) => Math.abs(z[i]!) > OUTLIER_Z);
    if (outliers.length > 0) {
      out.push({
        kind: 'outliers',
        message: `${outliers.length} of ${ok.length} challenges are statistical outliers (|modified z| > ${OUTLIER_Z}): ${outliers
          .map((m) => `${m.timeline.total!.toFixed(3)} s`)
          .join(', ')}`,
      });
    }
  }
  return out;
}

/** One line per kind of warning over a study's trials, naming the trials and what to do. */
export function warningLines(trials: readonly { number: number; warnings: readonly TrialWarning[] }[]): string[] {
  const lines: string[] = [];
  for (const kind of Object.keys(WARNING_ADVICE) as WarningKind[]) {
    const hit = trials.filter((t) => t.warnings.some((w) => w.kind === kind)).map((t) => t.number);
    if (hit.length === 0) continue;
    const what = kind === 'slow-first' ? 'a first challenge much slower than the rest' : 'statistical outliers';
    lines.push(`warning: ${hit.length} trial(s) had ${what} (trial ${hit.slice(0, 8).join(', ')}${hit.length > 8 ? ', ...' : ''}): ${WARNING_ADVICE[kind]}`);
  }
  return lines;
}
