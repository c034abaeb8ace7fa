// What a resumed study's run measures differently from its last run: the resume goes on with the new
// settings (the study records them), so the run says which ones changed rather than switching silently.

import { describeRepeats, type RacePolicy, type RepeatPolicy } from './policy.js';

const FLAGS: { key: string; flag: string; show: (v: unknown) => string }[] = [
  { key: 'sampler', flag: '--sampler', show: String },
  { key: 'seed', flag: '--seed', show: String },
  // Studies from before adaptive repeats recorded a number.
  { key: 'repeats', flag: '--repeats', show: (v) => (typeof v === 'number' ? `${v} repeats` : describeRepeats(v as RepeatPolicy)) },
  { key: 'racing', flag: '--racing', show: (v) => ((v as RacePolicy).enabled ? `on (min ${(v as RacePolicy).minBlocks} blocks)` : 'off') },
  { key: 'control', flag: '--control', show: (v) => (v === null ? 'none' : String(v)) },
  { key: 'warmup', flag: '--warmup', show: String },
  { key: 'confirmTop', flag: '--confirm-top', show: String },
  { key: 'confirmRepeats', flag: '--confirm-repeats', show: String },
];

/** "--confirm-repeats 5 (was 1)" for each measuring setting that differs; settings a run did not record are skipped. */
export function changedSettings(previous: Record<string, unknown>, next: Record<string, unknown>): string[] {
  return FLAGS.filter(({ key }) => key in previous && key in next && JSON.stringify(previous[key]) !== JSON.stringify(next[key])).map(
    ({ key, flag, show }) => `${flag} ${show(next[key])} (was ${show(previous[key])})`,
  );
}
