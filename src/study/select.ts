// Finds the study a command means and loads its ranking.

import { AutotuneError } from '../errors.js';
import { unknownStudy } from '../store/index.js';
import type { MeasurementRecord, Storage, StudyRecord, TrialRecord } from '../store/types.js';
import { analyseStoredStudy, type RankedTrial, type StudyAnalysis } from './ranking.js';

/** A --study value: undefined (not given) or a name that is not blank, padded, or holding control characters. */
export function checkStudyName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (name.trim() === '' || name.trim() !== name || /[\u0000-\u001f\u007f]/.test(name) || name.length > 200) {
    throw new AutotuneError('E_USAGE', `--study ${JSON.stringify(name)} is not a usable study name`, {
      hint: 'give a name of visible characters without leading or trailing spaces (at most 200), or leave --study out',
    });
  }
  return name;
}

/** The named study, or the only one in the file when no name is given. */
export async function selectStudy(storage: Storage, name: string | undefined): Promise<StudyRecord> {
  if (checkStudyName(name) !== undefined) {
    const study = await storage.getStudy(name!);
    if (!study) throw unknownStudy(name!, storage.path);
    return study;
  }
  const all = await storage.listStudies();
  if (all.length === 1) return all[0]!;
  if (all.length === 0) {
    throw new AutotuneError('E_NOT_FOUND', `no study in ${storage.path}`, { hint: 'run `autotune run ...` first, or pass --db' });
  }
  throw new AutotuneError('E_USAGE', `${storage.path} holds ${all.length} studies: ${all.map((s) => s.name).join(', ')}`, {
    hint: 'pick one with --study NAME',
  });
}

export interface LoadedStudy {
  study: StudyRecord;
  trials: TrialRecord[];
  measurements: MeasurementRecord[];
  ranking: RankedTrial[];
  /** Drift, the control, the race and what they saved, besides the ranking. */
  analysis: StudyAnalysis;
}

export async function loadRanking(storage: Storage, study: StudyRecord): Promise<LoadedStudy> {
  const trials = await storage.listTrials(study.id);
  const measurements = await storage.listMeasurements({ studyId: study.id });
  const analysis = analyseStoredStudy(study, trials, measurements);
  return { study, trials, measurements, ranking: analysis.ranking, analysis };
}

/** Throws a clear error when the study has no finished trial. */
export function requireTrials(loaded: LoadedStudy): void {
  if (loaded.ranking.length === 0) {
    throw new AutotuneError('E_STUDY', `study "${loaded.study.name}" has no finished trial yet`, {
      hint: 'run `autotune run --study ' + loaded.study.name + ' ...` to measure some',
    });
  }
}
