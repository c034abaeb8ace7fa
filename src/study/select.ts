// Finds the study a command means and loads its ranking.

import { AutotuneError } from '../errors.js';
import { unknownStudy } from '../store/index.js';
import type { MeasurementRecord, Storage, StudyRecord, TrialRecord } from '../store/types.js';
import { onHost } from './data.js';
import { analyseAcrossHosts, hostsOf } from './hosts.js';
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
  /** Every host that measured the study's trials, sorted; `host` when one was picked. */
  hosts: string[];
  host: string | null;
  /** The trials and measurements loaded: the picked host's only, when one was picked. */
  trials: TrialRecord[];
  measurements: MeasurementRecord[];
  ranking: RankedTrial[];
  /** Drift, the control, the race and what they saved, besides the ranking. */
  analysis: StudyAnalysis;
}

/**
 * The study's ranking: of one host's trials when `host` is given (E_USAGE naming the hosts when it
 * measured nothing of the study), else across hosts (see hosts.ts; one host: as it always was).
 */
export async function loadRanking(storage: Storage, study: StudyRecord, host?: string): Promise<LoadedStudy> {
  let trials = await storage.listTrials(study.id);
  let measurements = await storage.listMeasurements({ studyId: study.id });
  const hosts = hostsOf(trials);
  if (host === undefined) {
    const analysis = analyseAcrossHosts(study, trials, measurements);
    return { study, hosts, host: null, trials, measurements, ranking: analysis.ranking, analysis };
  }
  if (!hosts.includes(host)) {
    throw new AutotuneError('E_USAGE', `--host ${host}: no trial of study "${study.name}" was measured on it`, {
      hint: hosts.length ? `the study's hosts: ${hosts.join(', ')}` : 'the study has no trial yet',
    });
  }
  ({ trials, measurements } = onHost(trials, measurements, host));
  const analysis = analyseStoredStudy(study, trials, measurements);
  return { study, hosts, host, trials, measurements, ranking: analysis.ranking, analysis };
}

/** Throws a clear error when the study has no finished trial. */
export function requireTrials(loaded: LoadedStudy): void {
  if (loaded.ranking.length === 0) {
    throw new AutotuneError('E_STUDY', `study "${loaded.study.name}" has no finished trial yet`, {
      hint: 'run `autotune run --study ' + loaded.study.name + ' ...` to measure some',
    });
  }
}
