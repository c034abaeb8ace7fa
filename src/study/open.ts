// Creates a study, or resumes (joins) the one with the same name: trials a dead process left RUNNING
// are marked FAIL, and numbering continues after the last trial.

import { AutotuneError, isAutotuneError } from '../errors.js';
import { PIPELINE_EVALUATOR_NAME } from '../pipeline/factory.js';
import type { NewStudy, Storage, StudyRecord } from '../store/types.js';
import { recordedSpace, referenceChanges, spaceChanges } from './space-changes.js';

export const INTERRUPTED_REASON = 'interrupted: process ended while the trial ran';
/**
 * A RUNNING trial of any host with no sign of life (start, search measurement, heartbeat) for this
 * long is failed when its study is opened without a heartbeat timeout of its own (`run` passes its
 * --heartbeat-timeout): far longer than any challenge takes.
 */
export const SILENT_TRIAL_TIMEOUT_S = 3600;

export interface OpenedStudy {
  study: StudyRecord;
  resumed: boolean;
  /** Numbers of trials marked FAIL because their process had died (or, on another host, went silent). */
  recovered: number[];
  /** A resumed study's settings as its last run recorded them (this run's replace them). */
  previousSettings?: Record<string, unknown>;
  /** What changed in the space file since the study's last run (see spaceChanges); empty when nothing did. */
  spaceEdits?: string[];
}

export async function openStudy(storage: Storage, spec: NewStudy, staleAfterS = SILENT_TRIAL_TIMEOUT_S): Promise<OpenedStudy> {
  let existing = await storage.getStudy(spec.name);
  if (!existing) {
    try {
      return { study: await storage.createStudy(spec), resumed: false, recovered: [] };
    } catch (err) {
      // Another worker created it a moment ago: join it.
      if (!isAutotuneError(err, 'E_STUDY')) throw err;
      existing = await storage.getStudy(spec.name);
      if (!existing) throw err;
    }
  }
  checkResumable(existing, spec);
  const recovered = [
    ...(await storage.failInterruptedTrials(existing.id, INTERRUPTED_REASON)),
    ...(await storage.failStaleTrials(existing.id, staleAfterS)),
  ].sort((a, b) => a - b);
  // An edited space file: the study's record follows it, so emit and the report read the space searched now.
  const before = recordedSpace(existing.settings);
  const now = recordedSpace(spec.settings);
  const spaceEdits = before !== null && now !== null ? spaceChanges(before, now) : [];
  const study = await storage.updateStudy(spec.name, {
    settings: spec.settings,
    host: spec.host,
    netProbe: spec.netProbe,
    ...(spaceEdits.length > 0 ? { space: spec.space } : {}),
  });
  return { study, resumed: true, recovered, previousSettings: existing.settings, spaceEdits };
}

/**
 * E_STUDY when `spec` cannot resume `existing`: another objective, space file, reference config or evaluator. The session
 * checks this before it measures anything (a reference answer, the first video); `openStudy` again.
 */
export function checkResumable(existing: StudyRecord, spec: Pick<NewStudy, 'name' | 'spaceFile' | 'objective' | 'settings'>): void {
  const o = existing.objective;
  const n = spec.objective;
  const sameObjective =
    o.kind === n.kind &&
    (o.kind === 'sn44' ? o.tMin === n.tMin : o.accuracyFloor === n.accuracyFloor) &&
    (o.requireReproducible ?? false) === (n.requireReproducible ?? false);
  if (!sameObjective) {
    throw new AutotuneError(
      'E_STUDY',
      `study "${spec.name}" was created with objective ${describeObjective(o)}, not ${describeObjective(n)}`,
      { hint: 'pass the same --objective/--accuracy-floor/--t-min/--require-reproducible to resume it, or another --study name' },
    );
  }
  if (existing.spaceFile !== spec.spaceFile) {
    throw new AutotuneError(
      'E_STUDY',
      `study "${spec.name}" searches ${existing.spaceFile}, not ${spec.spaceFile}`,
      { hint: 'pass the same --space to resume it, or another --study name' },
    );
  }
  checkMeasuredBy(existing, spec, 'pass the same --evaluator to resume it, or another --study name');
  const before = recordedSpace(existing.settings);
  const now = recordedSpace(spec.settings);
  const changed = before && now ? referenceChanges(before, now) : [];
  if (changed.length > 0) {
    throw new AutotuneError(
      'E_STUDY',
      `study "${spec.name}" measured accuracy against another reference config: ${spec.spaceFile} now has ${changed.join(', ')}`,
      { hint: "put the space's reference: back as it was to resume it (each trial's accuracy compares with the answers of the reference it was measured against), or pass another --study name" },
    );
  }
}

/**
 * The name of the evaluator that measured a study: settings.evaluator is the name of the factory that
 * made it; a study from before it was recorded was measured by the pipeline.
 */
export function measuredBy(settings: Record<string, unknown>): string {
  return typeof settings.evaluator === 'string' ? settings.evaluator : PIPELINE_EVALUATOR_NAME;
}

/** E_STUDY when `spec` would add another evaluator's measurements to `existing`: their times would not compare. */
export function checkMeasuredBy(existing: StudyRecord, spec: Pick<NewStudy, 'name' | 'settings'>, hint: string): void {
  if (measuredBy(existing.settings) !== measuredBy(spec.settings)) {
    throw new AutotuneError('E_STUDY', `study "${spec.name}" was measured by ${measuredBy(existing.settings)}, not ${measuredBy(spec.settings)}`, {
      hint: `its times would not compare: ${hint}`,
    });
  }
}

export function describeObjective(o: NewStudy['objective']): string {
  const base = o.kind === 'sn44' ? `sn44 (t-min ${o.tMin} s)` : `fastest-safe (accuracy floor ${o.accuracyFloor})`;
  return o.requireReproducible ? `${base}, answers reproducible across repeats` : base;
}
