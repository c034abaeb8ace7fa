import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyStore, openStorage, readStudyDump, type Storage } from '../../src/store/index.js';
import { freshDatabase, postgresSkip, sayWhyPostgresSkips } from '../helpers/postgres.js';
import { seedStudy } from '../study/fixtures/seed-study.js';
import { codeOf } from './conformance.js';

sayWhyPostgresSkips('the PostgreSQL store copy tests');

const dir = mkdtempSync(join(tmpdir(), 'autotune-copy-'));
const source = join(dir, 'source.db');

/** Everything a store holds, ids left out. */
async function contents(store: Storage) {
  const studies = [];
  for (const s of await store.listStudies()) studies.push(await readStudyDump(store, s.name));
  const references: Record<string, unknown> = {};
  for (const key of await store.listReferenceKeys()) references[key] = await store.getReference(key);
  return { studies, videos: await store.listVideos(), references };
}

async function withStore<T>(location: string, fn: (store: Storage) => Promise<T>): Promise<T> {
  const store = await openStorage(location);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  await seedStudy(source, 'first', { accuracy: (c) => (c.SPEED === 0 ? 0.5 : 0.995) });
  await seedStudy(source, 'second', { fail: (c) => (c.SPEED === 2 ? 'no bytes for 0.2 s' : null) });
  await withStore(source, async (store) => {
    await store.putVideo({ url: 'https://lab/a.mp4', size: 123, etag: '"x"', sha256: 'ab', frames: 50, faststart: true });
    await store.putReference('model|a.mp4', { frames: [[1, 2, 3]] });
    // A trial left RUNNING travels as it is.
    const first = (await store.getStudy('first'))!;
    await store.createTrial(first.id, { params: { LEFT: 'running' }, baseline: null });
  });
});

describe('copying studies between stores', () => {
  it('copies SQLite -> SQLite file to file, and refuses to overwrite a study the target has', async () => {
    const target = join(dir, 'copy.db');
    const report = await withStore(source, (from) => withStore(target, (to) => copyStore(from, to)));
    expect(report.studies.map((s) => s.name)).toEqual(['first', 'second']);
    expect(report).toMatchObject({ videos: 1, references: 1 });
    expect(await withStore(target, contents)).toEqual(await withStore(source, contents));
    await withStore(source, (from) =>
      withStore(target, async (to) => {
        const err = await copyStore(from, to, ['second']).catch((e: Error) => e);
        expect((err as Error).message).toBe(`${to.path} already has study "second": nothing copied`);
        expect(await codeOf(copyStore(from, to, ['nope']))).toBe('E_NOT_FOUND');
      }),
    );
  });

  it.skipIf(postgresSkip !== null)('round-trips SQLite -> PostgreSQL -> SQLite with nothing changed', async () => {
    const pg = await freshDatabase('copy');
    const back = join(dir, 'back.db');
    await withStore(source, (from) => withStore(pg, (to) => copyStore(from, to)));
    await withStore(pg, (from) => withStore(back, (to) => copyStore(from, to)));
    const original = await withStore(source, contents);
    expect(await withStore(pg, contents)).toEqual(original);
    expect(await withStore(back, contents)).toEqual(original);
    expect(original.studies[0]!.trials.some((t) => t.state === 'RUNNING')).toBe(true);
    expect(original.studies[0]!.measurements.some((m) => m.phase === 'confirm')).toBe(true);
    // Only the named study, into a store that has the other.
    const partial = await freshDatabase('copy_partial');
    await withStore(source, (from) => withStore(partial, (to) => copyStore(from, to, ['second'])));
    expect((await withStore(partial, (s) => s.listStudies())).map((s) => s.name)).toEqual(['second']);
  });
});
