// A ranked trial in one line, with the phase its figures come from.

import type { RankedTrial } from './ranking.js';

export function describeWinner(w: RankedTrial): string {
  const ratio = w.ratioToControl ? `, ${w.ratioToControl.median.toFixed(2)}x the control's time` : '';
  return (
    `trial ${w.number}${w.baseline ? ` (baseline ${w.baseline})` : ''}, median ${w.median?.toFixed(3)} s ` +
    `(${w.phase === 'confirm' ? 'confirmation race' : 'search'} figures, ${w.challenges} challenges)${ratio}, accuracy ${w.accuracy?.toFixed(3) ?? '-'}`
  );
}
