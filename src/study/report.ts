// Words for a study that produced no usable winner: what failed and how often.

import { describeReasons } from './objective.js';
import type { RankedTrial } from './ranking.js';

/** Null when some trial is feasible; otherwise a few lines saying why none is. */
export function noWinnerReport(ranking: readonly RankedTrial[]): string | null {
  if (ranking.some((r) => r.feasible)) return null;
  if (ranking.length === 0) return 'no trial finished';
  const reasons: Record<string, number> = {};
  let challenges = 0;
  let failed = 0;
  for (const r of ranking) {
    challenges += r.challenges;
    failed += r.failed;
    for (const [reason, count] of Object.entries(r.failureReasons)) reasons[reason] = (reasons[reason] ?? 0) + count;
  }
  const lines: string[] = [];
  if (ranking.every((r) => r.state === 'FAIL')) {
    lines.push(`every trial failed (${ranking.length} trials, ${failed}/${challenges} challenges failed)`);
  } else {
    lines.push(`no feasible trial among ${ranking.length} (${failed}/${challenges} challenges failed)`);
  }
  if (failed > 0) lines.push(`failure reasons: ${describeReasons(reasons)}`);
  const whys = new Map<string, number>();
  for (const r of ranking) if (r.why) whys.set(r.why, (whys.get(r.why) ?? 0) + 1);
  for (const [why, count] of [...whys].sort((a, b) => b[1] - a[1]).slice(0, 5)) lines.push(`  ${count} x ${why}`);
  const accurate = ranking
    .filter((r) => r.accuracy !== null)
    .reduce<RankedTrial | null>((best, r) => (best === null || r.accuracy! > best.accuracy! ? r : best), null);
  if (accurate) {
    lines.push(
      `highest accuracy reached: ${accurate.accuracy!.toFixed(3)} (trial ${accurate.number}); ` +
        'if that is close enough, lower --accuracy-floor, or widen the space toward the reference config',
    );
  }
  const example = ranking.find((r) => r.firstError)?.firstError;
  if (example) lines.push(`example failure: ${example}`);
  return lines.join('\n');
}
