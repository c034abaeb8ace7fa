// Each trial's speed-up over each baseline: the baseline's median over the trial's, always on figures
// of one phase and conditions: the race's shared rounds when both raced, else the search (relative to
// the control measured near each challenge once the host drifted).

import type { MeasurementRecord } from '../store/types.js';
import type { StudyData } from './data.js';
import type { RankedTrial } from './ranking.js';
import type { Standing } from './standing.js';
import { median } from './stats.js';

export type SpeedupBasis = 'race' | 'search' | 'control-normalised';

/** Speed-ups over each baseline, from figures of one phase: the race when both raced, else the search (normalised when the host drifted). */
export function speedups(rows: RankedTrial[], data: StudyData, standing: Standing): void {
  const byNumber = new Map(data.trials().map((t) => [t.number, t]));
  const baselines = baselineRows(rows);
  const totals = (number: number, phase: 'race' | 'search') => {
    const t = byNumber.get(number)!;
    return (phase === 'race' ? data.race(t.id) : data.of(t.id, 'search')).filter((m) => m.error === null && m.timeline.total !== null);
  };
  for (const row of rows) {
    for (const base of baselines) {
      const name = base.baseline!;
      let ratio: number | null = null;
      let basis: SpeedupBasis = 'search';
      if (row.phase === 'confirm' && base.phase === 'confirm') {
        // Blocks both ran in the same rounds: the same conditions.
        basis = 'race';
        const mine = totals(row.number, 'race');
        const theirs = totals(base.number, 'race');
        const key = (m: MeasurementRecord) => `${m.repeat}\u0000${m.videoUrl}`;
        const shared = new Set(mine.map(key).filter((k) => theirs.some((m) => key(m) === k)));
        const a = median(theirs.filter((m) => shared.has(key(m))).map((m) => m.timeline.total!));
        const b = median(mine.filter((m) => shared.has(key(m))).map((m) => m.timeline.total!));
        ratio = a !== null && b !== null && b > 0 ? a / b : null;
      } else if (standing.normaliser) {
        basis = 'control-normalised';
        const a = median(totals(base.number, 'search').map((m) => standing.normaliser!.ratio(m)).filter((r): r is number => r !== null));
        const b = median(totals(row.number, 'search').map((m) => standing.normaliser!.ratio(m)).filter((r): r is number => r !== null));
        ratio = a !== null && b !== null && b > 0 ? a / b : null;
      } else {
        const a = base.search.median;
        const b = row.search.median;
        ratio = a !== null && b !== null && b > 0 ? a / b : null;
      }
      row.speedup[name] = ratio;
      row.speedupBasis[name] = basis;
    }
  }
}

/** The best-ranked completed trial of each baseline name. */
export function baselineRows(rows: readonly RankedTrial[]): RankedTrial[] {
  const seen = new Set<string>();
  return rows.filter((r) => r.baseline !== null && r.state === 'COMPLETE' && !seen.has(r.baseline) && seen.add(r.baseline));
}

