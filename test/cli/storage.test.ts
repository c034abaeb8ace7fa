// --storage URL / --db FILE on the commands that read or write results, `autotune store copy`, and
// a study run on PostgreSQL end to end (lab server, real pipeline).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { refusal, runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { freshDatabase, postgresSkip, sayWhyPostgresSkips } from '../helpers/postgres.js';
import { seedStudy } from '../study/fixtures/seed-study.js';

sayWhyPostgresSkips('the PostgreSQL command tests');

const dir = mkdtempSync(join(tmpdir(), 'autotune-storage-cli-'));
const db = join(dir, 'results.db');
const oneLine = (stderr: string) => stderr.trim().split('\n');

beforeAll(async () => {
  await seedStudy(db, 'demo', { accuracy: (c) => (c.SPEED === 0 ? 0.5 : 0.995) });
});

describe('choosing the store', () => {
  it('refuses --storage and --db together, a URL of another kind and a folder, in one line with exit 2', async () => {
    for (const [args, message] of [
      [['trials', '--db', db, '--storage', db], /^autotune: use --storage or --db, not both \(--db FILE is short for --storage FILE\)$/],
      [['emit', '--storage', 'mysql://u@h/db'], /^autotune: --storage mysql:\/\/u@h\/db: unknown kind of store/],
      [['run', '--url', 'https://a/b.mp4', '--storage', 'postgres://u:secret@h:1/'], /^autotune: --storage postgres:\/\/u:\*\*\*@h:1\/ names no database/],
      [['diagnose', 'https://a/b.mp4', '--study', 'x'], /^autotune: --study only matters with --save \(add --save/],
      [['diagnose', 'https://a/b.mp4', '--save', '--study', ' padded'], /^autotune: --study " padded" is not a usable study name/],
      // A folder as the database file: said before the host is probed or the model read, for any command.
      [['run', '--url', 'https://a/b.mp4', '--db', dir], new RegExp(`^autotune: --db ${dir} is a folder, not a results database file \\(pass a file path, e\\.g\\. --db ${dir}/autotune\\.db\\)$`)],
      [['trials', '--storage', dir], /^autotune: --storage .* is a folder, not a results database file/],
    ] as const) {
      const run = await refusal([...args]);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(oneLine(run.stderr), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain('secret');
    }
  });

  it('--storage FILE is --db FILE', async () => {
    const a = await runCli(['trials', '--storage', db, '--json']);
    const b = await runCli(['trials', '--db', db, '--json']);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe.skipIf(postgresSkip !== null)('PostgreSQL from the command line', () => {
  it('names an unknown database, and a database without results, one line each', async () => {
    const url = await freshDatabase('cli');
    const port = new URL(url).port;
    const missing = await runCli(['trials', '--storage', `postgres://postgres@127.0.0.1:${port}/no_such_db`]);
    expect(missing.exitCode).toBe(2);
    expect(oneLine(missing.stderr)).toEqual([
      `autotune: the PostgreSQL server of postgres://postgres@127.0.0.1:${port}/no_such_db has no database "no_such_db" (create it (createdb -h 127.0.0.1 -p ${port} -U postgres no_such_db) or fix the database name in --storage)`,
    ]);
    const empty = await runCli(['show', '0', '--storage', url]);
    expect(empty.exitCode).toBe(2);
    expect(oneLine(empty.stderr)).toEqual([`autotune: no results database at ${url} (run \`autotune run ...\` first, or pass the --db file or --storage URL a study wrote)`]);
  });

  it('store copy moves a study to PostgreSQL and back; the commands read it there alike; an existing study is refused', async () => {
    const url = await freshDatabase('cli_copy');
    const copied = await runCli(['store', 'copy', '--from', db, '--to', url]);
    expect(copied.stderr).toBe('');
    expect(copied.exitCode).toBe(0);
    expect(copied.stdout).toMatch(new RegExp(`copied 1 study, 0 video\\(s\\) and 0 reference answer\\(s\\) from ${db.replace(/[.]/g, '\\.')} to ${url}`));
    expect(copied.stdout).toMatch(/^demo +\d+ +\d+$/m);
    for (const args of [['trials', '--json'], ['show', '1', '--json', '--study', 'demo']]) {
      const local = await runCli([...args, '--db', db]);
      const remote = await runCli([...args, '--storage', url]);
      expect(remote.exitCode, remote.stderr).toBe(0);
      expect(remote.stdout).toBe(local.stdout);
    }
    const again = await runCli(['store', 'copy', '--from', db, '--to', url]);
    expect(again.exitCode).toBe(2);
    expect(oneLine(again.stderr)).toEqual([
      `autotune: ${url} already has study "demo": nothing copied (copy the others with --study NAME, or copy into another store; a study is never overwritten)`,
    ]);
    const back = join(dir, 'back.db');
    expect((await runCli(['store', 'copy', '--from', url, '--to', back, '--study', 'demo'])).exitCode).toBe(0);
    expect((await runCli(['trials', '--db', back, '--json'])).stdout).toBe((await runCli(['trials', '--db', db, '--json'])).stdout);
  });

  it('run --storage postgres:// stores a study there, and trials, show, report and emit read it', async () => {
    const url = await freshDatabase('cli_run');
    const samples = join(dir, 'samples');
    mkdirSync(samples, { recursive: true });
    const clip = await labClip({ frames: 25, width: 320, height: 180, seed: 1 });
    copyFileSync(clip.path, join(samples, 'clip-1.mp4'));
    const model = 'models/lab-detector.onnx';
    const run = await runCli([
      'run', '--samples', samples, '--space', 'search-spaces/quick.yaml', '--storage', url, '--model', model, '--study', 'fleet',
      '--trials', '1', '--repeats', '1', '--confirm-repeats', '0', '--device', 'cpu', '--sampler', 'grid', '--accuracy-floor', '0.5',
    ]);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain(`next: autotune trials --study fleet --storage ${url}, then autotune emit`);
    const trials = JSON.parse((await runCli(['trials', '--storage', url, '--json'])).stdout) as { state: string }[];
    expect(trials).toHaveLength(4);
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
    const show = await runCli(['show', '0', '--storage', url]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(show.stdout).toContain('trial 0 of study fleet');
    const report = await runCli(['report', '--storage', url, '--out', join(dir, 'report.html')]);
    expect(report.exitCode, report.stderr).toBe(0);
    const emit = await runCli(['emit', '--storage', url, '--out', join(dir, 'emitted')]);
    expect(emit.exitCode, emit.stderr).toBe(0);
    expect(existsSync(join(dir, 'emitted', 'best.env'))).toBe(true);
  });
});
