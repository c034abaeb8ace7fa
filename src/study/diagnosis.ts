// `autotune diagnose --save`: the challenges of one diagnosis stored as one trial of a study (by
// default "diagnose"), so a miner's current settings sit in the store beside tuned ones. An existing
// study (a tuning study, say) takes the trial as it is, when the same evaluator measured it; a new one
// is made for diagnoses.

import { AutotuneError, isAutotuneError } from '../errors.js';
import type { ChallengeResult, Config } from '../pipeline/types.js';
import type { NewStudy, Storage, StudyRecord, TrialRecord } from '../store/types.js';
import { measurementOf } from './measurement.js';
import { evaluateObjective, outcomeOf } from './objective.js';
import { checkMeasuredBy } from './open.js';
import { observationOf } from './ranking.js';

export const DIAGNOSE_STUDY = 'diagnose';
/** The space file a diagnosis study records: no space was searched. */
export const DIAGNOSE_SPACE = '(diagnose)';

export interface SavedDiagnosis {
  study: StudyRecord;
  trial: TrialRecord;
  createdStudy: boolean;
}

/** Stores `results` (the runs of one config) as one finished trial of the study `spec.name`. */
export async function saveDiagnosis(storage: Storage, spec: Omit<NewStudy, 'spaceFile' | 'space'>, config: Config, results: readonly ChallengeResult[]): Promise<SavedDiagnosis> {
  let study = await storage.getStudy(spec.name);
  let createdStudy = false;
  if (!study) {
    try {
      study = await storage.createStudy({ ...spec, spaceFile: DIAGNOSE_SPACE, space: null });
      createdStudy = true;
    } catch (err) {
      if (!isAutotuneError(err, 'E_STUDY')) throw err;
      study = (await storage.getStudy(spec.name))!;
    }
  }
  if (!createdStudy) checkMeasuredBy(study, spec, 'diagnose with that --evaluator, or save to another --study');
  const trial = await storage.createTrial(study.id, { params: config, baseline: null });
  if (!trial) {
    throw new AutotuneError('E_STUDY', `study "${spec.name}" in ${storage.path} is measuring this very config right now`, {
      hint: 'save it when that trial has finished, or pass another --study',
    });
  }
  const observations = [];
  for (const [i, result] of results.entries()) {
    observations.push(observationOf(await storage.addMeasurement(trial.id, measurementOf(result, i + 1, 'search'))));
  }
  const done = await storage.setTrialState(trial.id, outcomeOf(evaluateObjective(observations, study.objective, null)));
  return { study, trial: done, createdStudy };
}
