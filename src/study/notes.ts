// A study's analysis in words, for `trials`, `run`, the report and best.env: the host's drift, what
// the control cost, what the race dropped and saved, and the warnings with what to do.

import { driftWarning } from './drift.js';
import type { RankedTrial, StudyAnalysis } from './ranking.js';
import { warningLines } from './warnings.js';
import type { Interval } from './stats.js';
import { count } from '../util/format.js';

/** One line on the host's speed: the drift warning, or that the control saw none. */
export function driftLine(analysis: StudyAnalysis): string | null {
  const { drift, control } = analysis;
  if (drift.detected) return driftWarning(drift, control?.name ?? null);
  if (drift.source === 'control') {
    return `host speed: steady (the control's rolling median moved ${drift.factor.toFixed(2)}x, under the ${drift.threshold.toFixed(2)}x drift threshold)`;
  }
  return null;
}

export function controlLine(analysis: StudyAnalysis): string | null {
  const c = analysis.control;
  if (!c) return null;
  return (
    `control: ${c.name} (trial ${c.trial}), measured in its own trial and in ${c.rounds} round(s) between trials: ${count(c.challenges, 'challenge')} ` +
    `beyond its trial (${(c.share * 100).toFixed(0)}% of the study's ${analysis.challenges.total})`
  );
}

export function raceLine(analysis: StudyAnalysis): string | null {
  const r = analysis.race;
  const parts: string[] = [];
  if (r.contenders.length > 0) {
    parts.push(
      `confirmation race: trials ${r.contenders.join(', ')}, ${r.rounds} round(s)` +
        (r.dropped.length ? `, dropped ${r.dropped.join(', ')}` : ''),
    );
  }
  if (r.unraced.length > 0) parts.push(unracedLine(r.unraced));
  if (r.searchDropped.length > 0) parts.push(`dropped during the search: ${r.searchDropped.length} trial(s)`);
  if (analysis.saved > 0) parts.push(`challenges saved by early stops and the race: ${analysis.saved}`);
  if (!r.enabled && parts.length === 0) return null;
  return `${r.enabled ? 'racing on' : 'racing off'}${parts.length ? `: ${parts.join('; ')}` : ''}`;
}

/** "baselines QUICK (trial 1), ULTRA (trial 2) not raced: ..." */
export function unracedLine(unraced: readonly { number: number; baseline: string }[]): string {
  const names = unraced.map((u) => `${u.baseline} (trial ${u.number})`).join(', ');
  return (
    `${unraced.length === 1 ? 'baseline' : 'baselines'} ${names} not raced: ${unraced.length === 1 ? 'its' : 'their'} search showed ` +
    `${unraced.length === 1 ? 'it' : 'they'} cannot reach the accuracy floor (speed-ups over ${unraced.length === 1 ? 'it are' : 'them are'} from the search)`
  );
}

/** Every note, in the order a reader needs them. */
export function studyNotes(analysis: StudyAnalysis): string[] {
  return [driftLine(analysis), controlLine(analysis), raceLine(analysis), ...warningLines(analysis.ranking)].filter(
    (l): l is string => l !== null,
  );
}

/** A race median this far from the search median is worth saying beside it. */
export const PHASE_GAP = 0.05;

/**
 * The winner in one line, with the phase its figures come from; and its search median when the race
 * moved it by more than PHASE_GAP (a trial picked for its search figures was often lucky in them, and
 * the host's speed moves between the phases), with whether the two phases' own noise explains the gap.
 */
export function describeWinner(w: RankedTrial): string {
  const ratio = w.ratioToControl ? `, ${w.ratioToControl.median.toFixed(2)}x the control's time` : '';
  const s = w.search;
  const gap = w.phase === 'confirm' && s.median && w.median ? w.median / s.median - 1 : null;
  const searched =
    gap !== null && Math.abs(gap) > PHASE_GAP
      ? `; its search median was ${s.median!.toFixed(3)} s (${count(s.challenges, 'challenge')}), the race's is ${(1 + gap).toFixed(2)}x that${phaseNoise(s.raceOverSearch, s.challenges)}`
      : '';
  return (
    `trial ${w.number}${w.baseline ? ` (baseline ${w.baseline})` : ''}, median ${w.median?.toFixed(3)} s ` +
    `(${w.phase === 'confirm' ? 'confirmation race' : 'search'} figures, ${count(w.challenges, 'challenge')})${ratio}, accuracy ${w.accuracy?.toFixed(3) ?? '-'}${searched}`
  );
}

/**
 * Search challenges below which a gap outside the bootstrap interval is not called beyond the noise:
 * the bootstrap of a median of 2 or 3 values spans little more than their range.
 */
export const MIN_SEARCH_FOR_GAP = 4;

/** Whether the gap between the phases is within their own noise, from the bootstrap interval of race over search. */
function phaseNoise(interval: Interval | null, searchChallenges: number): string {
  if (!interval) return '';
  const range = `95% interval [${interval.low.toFixed(2)}, ${interval.high.toFixed(2)}]`;
  if (interval.low <= 1 && interval.high >= 1) return ` (${range}: within the two phases' own noise)`;
  if (searchChallenges < MIN_SEARCH_FOR_GAP) return ` (${range}, from ${count(searchChallenges, 'search challenge')}: too few to tell noise from a change)`;
  return ` (${range}: beyond the two phases' own noise: the host's speed moved between them, or the search's figures were lucky)`;
}
