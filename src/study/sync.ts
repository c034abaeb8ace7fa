// Brings a runner's copy of its study up to date with what every worker stored: trials created since
// the last look, the finish of trials it held as RUNNING, and measurements added since. Incremental:
// the store hands back only what is new (trials past a number, measurements past an id), so a worker
// can look before every decision of a long study.

import type { Storage, TrialRecord } from '../store/types.js';
import type { StudyData } from './data.js';

/** Where the last sync stopped reading; the runner's own writes do not move it (others' may come before them). */
export interface SyncCursor {
  /** The highest trial number a sync has read. */
  trialNumber: number;
  /** The highest measurement id a sync has read. */
  measurementId: number;
  /** Trials this runner does not keep (another host's: the host is a factor), and their measurements. */
  skipped: Set<number>;
  /** Which trials this runner keeps. */
  keeps: (t: TrialRecord) => boolean;
}

/** Whether a sync brought anything new. */
export interface SyncNews {
  changed: boolean;
}

/** `skipped`: ids of the trials read already that this runner does not keep; `keeps`: which new ones it keeps. */
export function newCursor(data: StudyData, skipped: readonly number[] = [], keeps: (t: TrialRecord) => boolean = () => true): SyncCursor {
  const all = data.measurements();
  const trials = data.trials();
  return {
    trialNumber: trials.length ? trials[trials.length - 1]!.number : -1,
    measurementId: all.length ? all[all.length - 1]!.id : 0,
    skipped: new Set(skipped),
    keeps,
  };
}

/** `trialsOnly`: the trials' news without the measurements (one query). */
export async function syncStudyData(storage: Storage, studyId: number, data: StudyData, cursor: SyncCursor, trialsOnly = false): Promise<SyncNews> {
  const since = { number: cursor.trialNumber, ids: data.trials().filter((t) => t.state === 'RUNNING').map((t) => t.id) };
  const [fresh, measurements] = await Promise.all([
    storage.listTrials(studyId, since),
    trialsOnly ? [] : storage.listMeasurements({ studyId, afterId: cursor.measurementId }),
  ]);
  let changed = false;
  for (const t of fresh) {
    cursor.trialNumber = Math.max(cursor.trialNumber, t.number);
    if (!cursor.keeps(t)) {
      cursor.skipped.add(t.id);
      continue;
    }
    const known = data.trial(t.id);
    if (known && known.state === t.state) continue;
    // A finished trial never goes back to RUNNING (the store's copy may lag this worker's own finish).
    if (known && known.state !== 'RUNNING') continue;
    data.put(t);
    changed = true;
  }
  for (const m of measurements) {
    if (cursor.skipped.has(m.trialId)) {
      cursor.measurementId = m.id;
      continue;
    }
    // Its trial was created after the trials were read: this one and the rest come next time.
    if (!data.trial(m.trialId)) break;
    cursor.measurementId = m.id;
    if (data.has(m.id)) continue;
    data.add(m);
    changed = true;
  }
  return { changed };
}
