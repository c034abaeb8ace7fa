// A worker's copy of its study kept up to date with what other workers store: only what is new is
// read, measurements stay in id order whoever added them, none is held twice, and a trial another
// worker finished is seen finished.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../../src/store/index.js';
import { StudyData } from '../../src/study/data.js';
import { newCursor, syncStudyData } from '../../src/study/sync.js';
import { sampleMeasurement, sampleStudy } from '../store/store-fixtures.js';

const stores: Storage[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('syncing a study between workers', () => {
  it('brings in new trials, finished ones and measurements in id order, each once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'autotune-sync-')), 'a.db');
    const mine = await openStorage(path);
    const theirs = await openStorage(path);
    stores.push(mine, theirs);
    const study = await mine.createStudy(sampleStudy('s'));
    const data = new StudyData(await mine.listTrials(study.id), await mine.listMeasurements({ studyId: study.id }));
    const cursor = newCursor(data);

    // The other worker starts a trial and measures; then this one starts its own and measures.
    const other = (await theirs.createTrial(study.id, { params: { W: 'b' }, baseline: null }))!;
    const m1 = await theirs.addMeasurement(other.id, sampleMeasurement({ repeat: 1 }));
    const own = (await mine.createTrial(study.id, { params: { W: 'a' }, baseline: null }))!;
    data.put(own);
    data.add(await mine.addMeasurement(own.id, sampleMeasurement({ repeat: 1 })));
    // This worker's own newer trial and measurement must not hide the other's older ones.
    expect((await syncStudyData(mine, study.id, data, cursor)).changed).toBe(true);
    expect(data.trials().map((t) => [t.number, t.state])).toEqual([[0, 'RUNNING'], [1, 'RUNNING']]);
    expect(data.measurements().map((m) => m.id)).toEqual([m1.id, m1.id + 1]);

    // The other worker finishes its trial and measures a confirm round on it.
    await theirs.setTrialState(other.id, { state: 'COMPLETE', value: 1, feasible: true, violation: 0 });
    const m3 = await theirs.addMeasurement(other.id, sampleMeasurement({ phase: 'confirm', repeat: 1 }));
    expect((await syncStudyData(mine, study.id, data, cursor)).changed).toBe(true);
    expect(data.trial(other.id)!.state).toBe('COMPLETE');
    expect(data.of(other.id).map((m) => m.id)).toEqual([m1.id, m3.id]);
    expect(data.measurements()).toHaveLength(3);
    // Nothing new: nothing changes.
    expect((await syncStudyData(mine, study.id, data, cursor)).changed).toBe(false);
    expect(data.measurements()).toHaveLength(3);
  });

  it('keeps measurements in id order when an older one arrives after a newer one', () => {
    const m = (id: number, trialId: number) => ({ ...sampleMeasurement(), id, trialId, createdAt: '' });
    const data = new StudyData([], [m(1, 1), m(3, 1)]);
    data.add(m(2, 1));
    data.add(m(3, 1));
    expect(data.measurements().map((x) => x.id)).toEqual([1, 2, 3]);
    expect(data.of(1).map((x) => x.id)).toEqual([1, 2, 3]);
  });
});
