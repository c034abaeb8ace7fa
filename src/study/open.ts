// Creates a study, or resumes the one with the same name: trials a dead process left RUNNING are
// marked FAIL, and numbering continues after the last trial.

import { AutotuneError } from '../errors.js';
import type { NewStudy, Storage, StudyRecord } from '../store/types.js';

export const INTERRUPTED_REASON = 'interrupted: process ended while the trial ran';

export interface OpenedStudy {
  study: StudyRecord;
  resumed: boolean;
  /** Numbers of trials marked FAIL because their process had died. */
  recovered: number[];
}

export function openStudy(storage: Storage, spec: NewStudy): OpenedStudy {
  const existing = storage.getStudy(spec.name);
  if (!existing) return { study: storage.createStudy(spec), resumed: false, recovered: [] };
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
  const measuredBy = (settings: Record<string, unknown>) => String((settings.evaluator as { kind?: unknown } | undefined)?.kind ?? 'pipeline');
  if (measuredBy(existing.settings) !== measuredBy(spec.settings)) {
    throw new AutotuneError(
      'E_STUDY',
      `study "${spec.name}" was measured by the ${measuredBy(existing.settings)} evaluator, not the ${measuredBy(spec.settings)} one`,
      { hint: 'its times would not compare: pass the same --evaluator to resume it, or another --study name' },
    );
  }
  const recovered = storage.failInterruptedTrials(existing.id, INTERRUPTED_REASON);
  const study = storage.updateStudy(spec.name, { settings: spec.settings, host: spec.host, netProbe: spec.netProbe });
  return { study, resumed: true, recovered };
}

export function describeObjective(o: NewStudy['objective']): string {
  const base = o.kind === 'sn44' ? `sn44 (t-min ${o.tMin} s)` : `fastest-safe (accuracy floor ${o.accuracyFloor})`;
  return o.requireReproducible ? `${base}, answers reproducible across repeats` : base;
}
