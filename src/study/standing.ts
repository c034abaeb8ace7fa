// Where a study stands at a point in time: the control's series and whether the host drifted, each
// trial's search value (normalised by the control once the host drifted), the incumbent (the best
// feasible trial so far), and the contenders of the confirmation race.

import type { Direction } from '../search/index.js';
import type { MeasurementRecord, ObjectiveSpec, TrialRecord } from '../store/types.js';
import { ControlSeries, createNormaliser, findControlTrial, type Normaliser } from './control.js';
import type { StudyData } from './data.js';
import { assessDrift, NO_DRIFT, type Drift } from './drift.js';
import { unrecoverable, type TrialBlock } from './judge.js';
import { directionOf } from './objective.js';
import { median } from './stats.js';

export interface Standing {
  objective: ObjectiveSpec;
  direction: Direction;
  control: string | null;
  controlTrial: TrialRecord | null;
  series: ControlSeries | null;
  drift: Drift;
  /** Ratios to the control (whenever there is one). */
  ratios: Normaliser | null;
  /** The same, once the control shows drift: values are then normalised by it. */
  normaliser: Normaliser | null;
}

/** The standing from what `data` holds (only measurements up to `untilId` when given). */
export function standingOf(data: StudyData, objective: ObjectiveSpec, control: string | null, videos: number, untilId = Infinity): Standing {
  const controlTrial = findControlTrial(data.trials(), control);
  let series = controlTrial ? ControlSeries.of(controlTrial, data.of(controlTrial.id)) : null;
  if (series && untilId !== Infinity) series = series.until(untilId);
  const drift = series ? assessDrift(series, videos) : NO_DRIFT;
  const ratios = series ? createNormaliser(series, objective, { steady: !drift.detected }) : null;
  return {
    objective,
    direction: directionOf(objective),
    control,
    controlTrial,
    series,
    drift,
    ratios,
    normaliser: drift.detected ? ratios : null,
  };
}

/** A measurement as a block of the objective's value (normalised when the standing says so). */
export function blockOf(m: MeasurementRecord, standing: Standing): TrialBlock {
  const failed = m.error !== null;
  let value: number | null = null;
  if (!failed) {
    if (standing.normaliser) value = standing.normaliser.value(m);
    else value = standing.objective.kind === 'sn44' ? m.sn44 : m.timeline.total;
  }
  return { videoUrl: m.videoUrl, repeat: m.repeat, value, failed, accuracy: m.accuracy };
}

export const blocksOf = (measurements: readonly MeasurementRecord[], standing: Standing) => measurements.map((m) => blockOf(m, standing));

/** Median of the answered blocks' values; null when none. */
export function valueOf(blocks: readonly TrialBlock[]): number | null {
  return median(blocks.filter((b) => !b.failed && b.value !== null).map((b) => b.value!));
}

const isBetter = (direction: Direction, a: number, b: number) => (direction === 'minimize' ? a < b : a > b);

export interface Incumbent {
  trial: TrialRecord;
  blocks: TrialBlock[];
  value: number;
}

/** The best feasible finished trial by its search measurements (only measurements up to `untilId`). */
export function incumbentOf(data: StudyData, standing: Standing): Incumbent | null {
  let best: { trial: TrialRecord; value: number } | null = null;
  for (const trial of data.trials()) {
    if (trial.state !== 'COMPLETE' || !trial.feasible) continue;
    // A finished trial's stored value is its raw search value; normalised values are computed.
    const value = standing.normaliser ? valueOf(blocksOf(data.of(trial.id, 'search'), standing)) : trial.value;
    if (value === null) continue;
    if (!best || isBetter(standing.direction, value, best.value)) best = { trial, value };
  }
  return best && { ...best, blocks: blocksOf(data.of(best.trial.id, 'search'), standing) };
}

/**
 * The confirmation race's contenders: the best `top` feasible sampled trials by their search
 * figures, then every finished baseline. Judged on what was measured before the race (the search and
 * the control round that closes it), so a resumed race finds the same contenders.
 *
 * Once the host drifted, a challenge taken between two control rounds that disagree could have run at
 * either round's speed, so each trial has two readings: against the control before it and after it.
 * The best `top` by the reading that does not favour them race, and so does any trial that, read in
 * its favour, beats the best of those read against it (it could be the best), up to twice `top`.
 *
 * With racing on, a baseline that cannot become feasible (see hopelessBaseline) does not race.
 */
export function raceContenders(
  data: StudyData,
  objective: ObjectiveSpec,
  control: string | null,
  videos: number,
  top: number,
  racing: boolean,
): TrialRecord[] {
  const standing = standingOf(data, objective, control, videos, data.beforeRaceId);
  const { direction, normaliser } = standing;
  const candidates = data
    .trials()
    .filter((t) => t.baseline === null && t.state === 'COMPLETE' && t.feasible)
    .map((trial) => {
      const search = data.of(trial.id, 'search');
      const value = valueOf(blocksOf(search, standing));
      if (!normaliser || value === null) return { trial, value, favoured: value, against: value };
      const brackets = search.filter((m) => m.error === null).map((m) => normaliser.bracket(m)).filter((b): b is [number, number] => b !== null);
      const favoured = median(brackets.map(([a, b]) => (isBetter(direction, a, b) ? a : b))) ?? value;
      const against = median(brackets.map(([a, b]) => (isBetter(direction, a, b) ? b : a))) ?? value;
      return { trial, value, favoured, against };
    })
    .filter((c): c is { trial: TrialRecord; value: number; favoured: number; against: number } => c.value !== null);
  const by = (read: (c: (typeof candidates)[number]) => number) =>
    [...candidates].sort((a, b) => (isBetter(direction, read(a), read(b)) ? -1 : isBetter(direction, read(b), read(a)) ? 1 : a.trial.number - b.trial.number));
  const sure = by((c) => c.against).slice(0, top);
  const chosen = new Set(sure.map((c) => c.trial.id));
  const bar = sure[0]?.against;
  for (const c of by((c) => c.favoured)) {
    if (chosen.size >= 2 * top || bar === undefined || !isBetter(direction, c.favoured, bar)) break;
    chosen.add(c.trial.id);
  }
  const sampled = by((c) => c.value)
    .filter((c) => chosen.has(c.trial.id))
    .map((c) => c.trial);
  if (sampled.length === 0) return [];
  const baselines = finishedBaselines(data).filter((t) => !racing || !hopelessBaseline(t, data, objective, control));
  return [...sampled, ...baselines];
}

/** The first finished trial of each baseline. */
const finishedBaselines = (data: StudyData): TrialRecord[] => {
  const seen = new Set<string>();
  return data.trials().filter((t) => t.baseline !== null && t.state === 'COMPLETE' && !seen.has(t.baseline) && seen.add(t.baseline));
};

/** The finished baselines a race under racing leaves out (see hopelessBaseline), with why. */
export function unracedBaselines(data: StudyData, objective: ObjectiveSpec, control: string | null): { trial: TrialRecord; why: string }[] {
  return finishedBaselines(data).flatMap((trial) => {
    const why = hopelessBaseline(trial, data, objective, control);
    return why ? [{ trial, why }] : [];
  });
}

/**
 * Why a baseline sits out the confirmation race under racing, or null when it races: its search shows
 * it cannot become feasible (a failed challenge, or accuracy far below the floor on every one: the
 * rule that stops such a trial in the search), so it cannot win, and the race would spend a challenge
 * per video and round on it only for its speed-ups, which the search figures give (against the
 * control measured near them once the host drifted). The control always races (the others are set
 * against it), and so does a baseline the race has measured already (a race resumed as it ran).
 */
export function hopelessBaseline(trial: TrialRecord, data: StudyData, objective: ObjectiveSpec, control: string | null): string | null {
  if (trial.baseline === null || trial.baseline === control || data.race(trial.id).length > 0) return null;
  const search = data.of(trial.id, 'search');
  return search.length > 0 ? unrecoverable(search.map((m) => ({ videoUrl: m.videoUrl, repeat: m.repeat, value: null, failed: m.error !== null, accuracy: m.accuracy })), objective) : null;
}

/** Trials whose finished search figures are feasible: those a race may compare the others with. */
export function feasibleOf(data: StudyData): Set<number> {
  return new Set(data.trials().filter((t) => t.feasible).map((t) => t.id));
}
