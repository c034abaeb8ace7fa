// Copies studies between stores of any kind (SQLite -> PostgreSQL, back, or file to file): each study
// with its trials (numbers, states, hosts, times), its measurements in their order, and the videos and
// reference answers they were measured against. A study the target already has is refused before
// anything is written; each study is written in one transaction.

import { AutotuneError } from '../errors.js';
import { unknownStudy } from './errors.js';
import type { Storage, StudyDump } from './types.js';

export interface CopyReport {
  studies: { name: string; trials: number; measurements: number }[];
  videos: number;
  references: number;
}

/** A study read back as importStudy takes it (ids left out; measurements name their trial by number). */
export async function readStudyDump(store: Storage, name: string): Promise<StudyDump> {
  const found = await store.getStudy(name);
  if (!found) throw unknownStudy(name, store.path);
  const { id, ...study } = found;
  const trials = await store.listTrials(id);
  const numberOf = new Map(trials.map((t) => [t.id, t.number]));
  return {
    study,
    trials: trials.map(({ id: _id, studyId: _studyId, ...trial }) => trial),
    measurements: (await store.listMeasurements({ studyId: id })).map(({ id: _id, trialId, ...m }) => ({ ...m, trialNumber: numberOf.get(trialId)! })),
  };
}

/** Copies the named studies (all of `from` when none are named). */
export async function copyStore(from: Storage, to: Storage, names?: readonly string[]): Promise<CopyReport> {
  const all = (await from.listStudies()).map((s) => s.name);
  for (const name of names ?? []) if (!all.includes(name)) throw unknownStudy(name, from.path);
  const chosen = names && names.length > 0 ? [...new Set(names)] : all;
  const taken: string[] = [];
  for (const name of chosen) if (await to.getStudy(name)) taken.push(name);
  if (taken.length > 0) {
    throw new AutotuneError('E_STUDY', `${to.path} already has ${taken.length === 1 ? 'study' : 'studies'} ${taken.map((n) => `"${n}"`).join(', ')}: nothing copied`, {
      hint: 'copy the others with --study NAME, or copy into another store; a study is never overwritten',
    });
  }
  const videos = await from.listVideos();
  for (const video of videos) await to.putVideo(video);
  const keys = await from.listReferenceKeys();
  for (const key of keys) await to.putReference(key, await from.getReference(key));
  const studies: CopyReport['studies'] = [];
  for (const name of chosen) {
    const dump = await readStudyDump(from, name);
    await to.importStudy(dump);
    studies.push({ name, trials: dump.trials.length, measurements: dump.measurements.length });
  }
  return { studies, videos: videos.length, references: keys.length };
}
