// autotune export and the replay of what it wrote: the format round trip (every stored challenge one
// row, its figures read back unchanged), and the acceptance rule: a study replayed from its own export
// with the same seed and settings ranks its configs in the same order, on either objective.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayEvaluatorFactory } from '../../src/replay/factory.js';
import { MEASURE_COLUMNS } from '../../src/replay/format.js';
import { parseReplayTable, readReplayTable } from '../../src/replay/read.js';
import { exportTable } from '../../src/replay/export.js';
import { sn44Quality } from '../../src/score/sn44.js';
import { openStorage } from '../../src/store/index.js';
import type { ObjectiveSpec } from '../../src/store/types.js';
import { openStudy } from '../../src/study/open.js';
import { openSession, type SessionSettings } from '../../src/study/session.js';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { runCli } from '../helpers/cli.js';
import { freshDatabase, postgresSkip, sayWhyPostgresSkips } from '../helpers/postgres.js';
import { PLANTED_SPACE, writePlanted } from './fixtures/planted.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-replay-export-'));
const quiet = { say: () => {}, warn: () => {}, tty: false };

/** A replay study of `table` (TPE, seed 7, 6 trials, 2 repeats, a confirmation race); its ranking. */
async function replayStudy(table: string, db: string, objective: ObjectiveSpec) {
  const parsed = readReplayTable(table);
  const settings: SessionSettings = {
    space: PLANTED_SPACE, study: 'replayed', db, sampler: 'tpe', seed: 7, trials: 6, timeLimitMs: null, repeats: { kind: 'fixed', repeats: 2 }, racing: { ...DEFAULT_RACE, enabled: false }, control: null, warmup: 0, objective,
    confirmTop: 2, confirmRepeats: 3, device: 'cpu', source: { kind: 'names', names: parsed.videos }, ca: undefined,
  };
  const session = await openSession(settings, replayEvaluatorFactory({ table: parsed, seed: 7, missing: 'error', tMin: objective.tMin }), quiet);
  try {
    const result = await session.run();
    return result.ranking.map((r) => ({ number: r.number, params: r.params, state: r.state, feasible: r.feasible, phase: r.phase, value: r.value }));
  } finally {
    await session.close();
  }
}

describe('autotune export', () => {
  it('a replay study has no control unless one is named: replayed figures do not follow a clock', async () => {
    const planted = writePlanted(join(dir, 'no-control.csv'));
    const db = join(dir, 'no-control.db');
    const run = await runCli(['run', '--evaluator', 'replay', '--table', planted, '--space', PLANTED_SPACE, '--db', db, '--trials', '3', '--confirm-repeats', '0']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('control none (replayed figures do not follow a clock)');
    const storage = await openStorage(db, { mustExist: true });
    try {
      const measurements = await storage.listMeasurements({ studyId: (await storage.listStudies())[0]!.id });
      expect(measurements.length).toBeGreaterThan(0);
      expect(measurements.filter((m) => m.phase === 'control')).toHaveLength(0);
    } finally {
      await storage.close();
    }
  }, 60_000);

  it('writes every challenge of a study as one row, with the knob columns of its space, and its figures read back unchanged', async () => {
    const planted = writePlanted(join(dir, 'planted.csv'));
    const db = join(dir, 'cli.db');
    const run = await runCli(['run', '--evaluator', 'replay', '--table', planted, '--space', PLANTED_SPACE, '--db', db, '--trials', '3', '--repeats', '2', '--confirm-top', '1', '--confirm-repeats', '2', '--objective', 'sn44', '--t-min', '3', '--control', 'slow-default']);
    expect(run.exitCode, run.stderr).toBe(0);
    // No URL, no network probe, no model: the videos are the table's names.
    expect(run.stdout).toContain('2 video(s) x 2 repeats');
    expect(run.stdout).toContain('control slow-default');
    expect(run.stdout).not.toMatch(/network|reference|model/);

    const table = join(dir, 'out', 'study.csv');
    const exported = await runCli(['export', '--db', db, '--table', table]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    const storage = await openStorage(db, { mustExist: true });
    try {
      const study = (await storage.listStudies())[0]!;
      const measurements = await storage.listMeasurements({ studyId: study.id });
      const count = (phase: string) => measurements.filter((m) => m.phase === phase).length;
      expect(count('control')).toBeGreaterThan(0);
      expect(exported.stdout.trim()).toBe(
        `wrote ${table}: ${measurements.length} challenges of study "planted" (${count('search')} search, ${count('control')} control, ${count('confirm')} confirm), 4 knob columns`,
      );
      const text = readFileSync(table, 'utf8');
      expect(text.split('\n')[0]).toBe(['SIZE', 'STREAM', 'START', 'POOL', ...MEASURE_COLUMNS, 'phase', 'reason', 'sn44_quality'].join(','));
      expect(text).toBe((await exportTable(storage, study)).text);
      const rows = parseReplayTable(text, table).rows;
      expect(rows).toHaveLength(measurements.length);
      const trials = new Map((await storage.listTrials(study.id)).map((t) => [t.id, t]));
      rows.forEach((row, i) => {
        const m = measurements[i]!;
        const params = trials.get(m.trialId)!.params;
        expect(row.cells).toEqual(['SIZE', 'STREAM', 'START', 'POOL'].map((k) => (params[k] === undefined ? '' : String(params[k]))));
        expect({ video: row.video, repeat: row.repeat, total: row.total, accuracy: row.accuracy, coverage: row.coverage, failed: row.failed, phase: row.phase }).toEqual({
          video: m.videoUrl, repeat: m.repeat, total: m.timeline.total, accuracy: m.accuracy, coverage: m.coverage, failed: m.error !== null, phase: m.phase,
        });
        expect(row.sn44Quality).toBeCloseTo(sn44Quality(m.sn44!, m.timeline.total!, 3), 12);
      });
    } finally {
      await storage.close();
    }
  }, 120_000);

  it('exports one host\'s challenges with --host, and warns that a table of several hosts mixes their speeds', async () => {
    const planted = writePlanted(join(dir, 'hosts.csv'));
    const db = join(dir, 'hosts.db');
    for (const host of ['alpha', 'beta']) {
      const run = await runCli(['run', '--evaluator', 'replay', '--table', planted, '--space', PLANTED_SPACE, '--db', db, '--trials', '2', '--repeats', '1', '--confirm-repeats', '0'], {
        env: { ...process.env, FORCE_COLOR: '0', AUTOTUNE_HOST_NAME: host },
      });
      expect(run.exitCode, run.stderr).toBe(0);
    }
    const storage = await openStorage(db, { mustExist: true });
    const study = (await storage.listStudies())[0]!;
    const hostOf = new Map((await storage.listTrials(study.id)).map((t) => [t.id, t.workerHost]));
    const measurements = await storage.listMeasurements({ studyId: study.id });
    await storage.close();
    const on = (host: string) => measurements.filter((m) => hostOf.get(m.trialId) === host);
    expect(on('alpha').length).toBeGreaterThan(0);
    expect(on('beta').length).toBeGreaterThan(0);

    const mixed = await runCli(['export', '--db', db, '--table', join(dir, 'mixed.csv')]);
    expect(mixed.exitCode, mixed.stderr).toBe(0);
    expect(mixed.stderr.trim()).toBe(
      `warning: study "planted" was measured on 2 hosts (alpha: ${on('alpha').length}, beta: ${on('beta').length} challenges): the table mixes their speeds; export one host's with --host NAME`,
    );
    expect(readReplayTable(join(dir, 'mixed.csv')).rows).toHaveLength(measurements.length);

    const beta = await runCli(['export', '--db', db, '--host', 'beta', '--table', join(dir, 'beta.csv')]);
    expect(beta.exitCode, beta.stderr).toBe(0);
    expect(beta.stderr).toBe('');
    expect(beta.stdout).toMatch(/challenges of study "planted" measured on host beta \(/);
    const rows = readReplayTable(join(dir, 'beta.csv')).rows;
    expect(rows.map((r) => r.total)).toEqual(on('beta').map((m) => m.timeline.total));

    const unknown = await runCli(['export', '--db', db, '--host', 'gamma', '--table', join(dir, 'gamma.csv')]);
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr.trim()).toBe('autotune: --host gamma: no trial of study "planted" was measured on it (the study\'s hosts: alpha, beta)');
    expect(existsSync(join(dir, 'gamma.csv'))).toBe(false);
  }, 120_000);

  it('names a study with nothing to export, a results database that does not exist, and a table file it cannot write', async () => {
    const db = join(dir, 'measured.db');
    await replayStudy(writePlanted(join(dir, 'measured.csv')), db, { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 });
    const blocked = await runCli(['export', '--db', db, '--table', '/proc/forbidden/t.csv']);
    expect(blocked.exitCode).toBe(2);
    expect(blocked.stderr.trim().split('\n')).toHaveLength(1);
    expect(blocked.stderr).toMatch(/--table/);
    const empty = join(dir, 'empty.db');
    const storage = await openStorage(empty);
    await openStudy(storage, { name: 'fresh', spaceFile: PLANTED_SPACE, space: {}, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: {}, host: {} });
    await storage.close();
    const nothing = await runCli(['export', '--db', empty, '--table', join(dir, 'nothing.csv')]);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr.trim()).toBe('autotune: study "fresh" has no measured challenge to export (run autotune run --study fresh ... first)');
    expect(existsSync(join(dir, 'nothing.csv'))).toBe(false);
    const missing = await runCli(['export', '--db', join(dir, 'none.db'), '--table', join(dir, 'x.csv')]);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toMatch(/^autotune: no results database at .*none\.db/);
  }, 60_000);

  sayWhyPostgresSkips('the export from PostgreSQL');
  it.skipIf(postgresSkip !== null)('exports with --storage from PostgreSQL the same table as from SQLite', async () => {
    const planted = writePlanted(join(dir, 'planted-pg.csv'));
    const objective = { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 } as const;
    const url = await freshDatabase('export');
    await replayStudy(planted, url, objective);
    const sqlite = join(dir, 'beside-pg.db');
    await replayStudy(planted, sqlite, objective);
    const fromPg = join(dir, 'from-pg.csv');
    const exported = await runCli(['export', '--storage', url, '--table', fromPg]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    const fromSqlite = join(dir, 'from-sqlite.csv');
    expect((await runCli(['export', '--db', sqlite, '--table', fromSqlite])).exitCode).toBe(0);
    expect(readFileSync(fromPg, 'utf8')).toBe(readFileSync(fromSqlite, 'utf8'));
  }, 120_000);

  it.each([
    ['fastest-safe', { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }],
    ['sn44', { kind: 'sn44', accuracyFloor: 0.98, tMin: 3 }],
  ] as const)('export, then a replay of the export with the same seed ranks the configs in the same order (%s)', async (name, objective) => {
    const planted = writePlanted(join(dir, `planted-${name}.csv`));
    const first = await replayStudy(planted, join(dir, `first-${name}.db`), objective);
    const exported = join(dir, `first-${name}.csv`);
    const storage = await openStorage(join(dir, `first-${name}.db`), { mustExist: true });
    try {
      const study = (await storage.listStudies())[0]!;
      const { text } = await exportTable(storage, study);
      writeFileSync(exported, text);
    } finally {
      await storage.close();
    }
    const again = await replayStudy(exported, join(dir, `again-${name}.db`), objective);
    expect(first.length).toBeGreaterThanOrEqual(7);
    expect(first.some((r) => r.phase === 'confirm')).toBe(true);
    expect(again.map(({ number, params, state, feasible, phase }) => ({ number, params, state, feasible, phase }))).toEqual(
      first.map(({ number, params, state, feasible, phase }) => ({ number, params, state, feasible, phase })),
    );
    again.forEach((r, i) => (r.value === null ? expect(first[i]!.value).toBeNull() : expect(r.value).toBeCloseTo(first[i]!.value!, 12)));
  }, 60_000);
});
