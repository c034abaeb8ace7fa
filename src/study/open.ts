// Creates a study, or resumes the one with the same name: trials a dead process left RUNNING are
// marked FAIL, and numbering continues after the last trial.

import { AutotuneError } from '../errors.js';
import { PIPELINE_EVALUATOR_NAME } from '../pipeline/factory.js';
import type { NewStudy, Storage, StudyRecord } from '../store/types.js';

export const INTERRUPTED_REASON = 'interrupted: process ended while the trial ran';

export interface OpenedStudy {
  study: StudyRecord;
  resumed: boolean;
  /** Numbers of trials marked FAIL because their process had died. */
  recovered: number[];
}

export async function openStudy(storage: Storage, spec: NewStudy): Promise<OpenedStudy> {
  const existing = await storage.getStudy(spec.name);
  if (!existing) return { study: await storage.createStudy(spec), resumed: false, recovered: [] };
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
  // settings.evaluator is the name of the factory that made the evaluator; a study from before it was
  // recorded was measured by the pipeline.
  const measuredBy = (settings: Record<string, unknown>) => (typeof settings.evaluator === 'string' ? settings.evaluator : PIPELINE_EVALUATOR_NAME);
  if (measuredBy(existing.settings) !== measuredBy(spec.settings)) {
    throw new AutotuneError('E_STUDY', `study "${spec.name}" was measured by ${measuredBy(existing.settings)}, not ${measuredBy(spec.settings)}`, {
      hint: 'its times would not compare: pass the same --evaluator to resume it, or another --study name',
    });
  }
  const recovered = await storage.failInterruptedTrials(existing.id, INTERRUPTED_REASON);
  const study = await storage.updateStudy(spec.name, { settings: spec.settings, host: spec.host, netProbe: spec.netProbe });
  return { study, resumed: true, recovered };
}

export function describeObjective(o: NewStudy['objective']): string {
  const base = o.kind === 'sn44' ? `sn44 (t-min ${o.tMin} s)` : `fastest-safe (accuracy floor ${o.accuracyFloor})`;
  return o.requireReproducible ? `${base}, answers reproducible across repeats` : base;
}
