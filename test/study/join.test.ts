// Workers joining one study: the first creates it, the others join it; on joining, trials whose
// worker went silent are failed, those of live workers elsewhere are not.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { openStudy, SILENT_TRIAL_TIMEOUT_S } from '../../src/study/open.js';
import { adminQuery, freshDatabase, postgresSkip, sayWhyPostgresSkips } from '../helpers/postgres.js';
import { sampleStudy } from '../store/store-fixtures.js';

sayWhyPostgresSkips('the PostgreSQL study-joining test');

describe('joining a study', () => {
  it('two workers opening a new study at once: one creates it, the other joins it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'autotune-join-')), 'a.db');
    const [a, b] = [await openStorage(path), await openStorage(path)];
    try {
      const opened = await Promise.all([openStudy(a, sampleStudy('shared')), openStudy(b, sampleStudy('shared'))]);
      expect(opened[0].study.id).toBe(opened[1].study.id);
      expect(opened.map((o) => o.resumed).sort()).toEqual([false, true]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it.skipIf(postgresSkip !== null)('fails a trial of another host that went silent, and leaves a live one alone', async () => {
    const url = await freshDatabase('join');
    const store = await openStorage(url);
    try {
      const { study } = await openStudy(store, sampleStudy('fleet'));
      const silent = (await store.createTrial(study.id, { params: { A: 1 }, baseline: null }))!;
      const live = (await store.createTrial(study.id, { params: { A: 2 }, baseline: null }))!;
      await adminQuery(url, "UPDATE trials SET worker_host = 'gpu-7', worker_pid = 1");
      await adminQuery(url, `UPDATE trials SET heartbeat_at = to_char((clock_timestamp() - interval '${SILENT_TRIAL_TIMEOUT_S + 60} seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') WHERE id = $1`, [silent.id]);
      const again = await openStudy(store, sampleStudy('fleet'));
      expect(again.recovered).toEqual([silent.number]);
      expect((await store.getTrial(study.id, silent.number))!.reason).toBe(`no heartbeat for more than ${SILENT_TRIAL_TIMEOUT_S} s from its worker (gpu-7 pid 1)`);
      expect((await store.getTrial(study.id, live.number))!.state).toBe('RUNNING');
    } finally {
      await store.close();
    }
  });
});
