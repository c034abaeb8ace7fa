import { execa } from 'execa';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { cliArgs, runCli } from '../helpers/cli.js';
import { seedStudy } from '../study/fixtures/seed-study.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-cli-'));
const db = join(dir, 'results.db');
const root = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(async () => {
  // SPEED 0 is inaccurate (infeasible); SPEED 1 is the fastest feasible.
  await seedStudy(db, 'demo', { accuracy: (c) => (c.SPEED === 0 ? 0.5 : 0.995) });
  await seedStudy(db, 'broken', { fail: () => 'no bytes for 0.2 s' });
  const storage = await openStorage(db);
  await storage.createStudy({
    name: 'empty',
    spaceFile: 'x.yaml',
    space: {},
    objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 },
    settings: {},
    host: {},
  });
  await storage.close();
});

describe('autotune trials / show / emit', () => {
  it('trials --json lists every trial in rank order with the documented fields', async () => {
    const run = await runCli(['trials', '--db', db, '--study', 'demo', '--json']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(4);
    for (const key of ['number', 'params', 'state', 'feasible', 'baseline', 'median', 'p90', 'accuracy', 'coverage', 'sn44']) {
      expect(rows[0]).toHaveProperty(key);
    }
    expect(rows[0]).toMatchObject({ feasible: true, params: { SPEED: 1 }, baseline: null, phase: 'confirm' });
    expect(rows.at(-1)).toMatchObject({ feasible: false, params: { SPEED: 0 } });
    expect(rows.find((r) => r.baseline === 'fork-default')).toBeDefined();
    const feasible = rows.map((r) => r.feasible);
    expect(feasible).toEqual([...feasible].sort((a, b) => Number(b) - Number(a)));
    expect(rows[0]!.median).toBeCloseTo(1.1, 10);
    expect((rows[0]!.speedup as Record<string, number>)['fork-default']).toBeCloseTo(1.9 / 1.1, 10);

    const top = JSON.parse((await runCli(['trials', '--db', db, '--study', 'demo', '--json', '--top', '2'])).stdout);
    expect(top).toHaveLength(2);
  });

  it('trials prints a table with baselines and speed-ups', async () => {
    const run = await runCli(['trials', '--db', db, '--study', 'demo']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('vs fork-default');
    expect(run.stdout).toContain('fork-default');
    expect(run.stdout).toMatch(/accuracy 0\.500 < floor 0\.98/);
  });

  it('fits a terminal narrower than the table: knobs under each row, the least needed columns hidden and named; --wide and a pipe keep every column', async () => {
    // A real terminal (script's pseudo-terminal), 90 columns wide.
    const inTerminal = async (extra: string[]) => {
      const command = ['stty cols 90;', 'node', ...cliArgs(['trials', '--db', db, '--study', 'demo', ...extra])].map((a) => (a.endsWith(';') ? a : `'${a}'`)).join(' ');
      const run = await execa('script', ['-qec', command, '/dev/null'], { cwd: root, reject: false, stdin: 'ignore', env: { ...process.env, FORCE_COLOR: '0' } });
      expect(run.exitCode, String(run.stderr)).toBe(0);
      return String(run.stdout).replace(/\r/g, '').split('\n');
    };
    const fitted = await inTerminal([]);
    expect(fitted.filter((l) => l.length > 90)).toEqual([]);
    const header = fitted.find((l) => l.startsWith('rank'))!;
    expect(header).toMatch(/\bmedian\b.*\baccuracy\b.*vs fork-default$/);
    expect(header).not.toMatch(/p90|sn44|params/);
    const first = fitted.indexOf(header) + 2;
    expect(fitted[first]).toMatch(/^ +1 +\d+ /);
    expect(fitted[first + 1]).toMatch(/^ {6}IMG_SIZE=\d+ .*SPEED=\d/);
    expect(fitted.join(' ')).toMatch(/to fit 90 columns, each row's params that vary \/ why not is on the line under it, and .*p90.* are hidden: autotune trials --wide \(or a pipe, or a file\) shows every column/);

    const wide = await inTerminal(['--wide']);
    expect(wide.find((l) => l.startsWith('rank'))).toMatch(/p90.*sn44.*params that vary/);
    const piped = await runCli(['trials', '--db', db, '--study', 'demo']);
    expect(piped.stdout.split('\n').find((l) => l.startsWith('rank'))).toBe(wide.find((l) => l.startsWith('rank')));
    expect(piped.stdout).not.toMatch(/to fit \d+ columns/);
  });

  it('show prints every measurement of one trial, and --json has them all', async () => {
    const text = await runCli(['show', '1', '--db', db, '--study', 'demo']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('trial 1 of study demo: COMPLETE');
    expect(text.stdout).toContain('a.mp4');
    const json = JSON.parse((await runCli(['show', '1', '--db', db, '--study', 'demo', '--json'])).stdout);
    expect(json.trial.number).toBe(1);
    expect(json.measurements.length).toBeGreaterThanOrEqual(4);
    expect(json.measurements[0].timeline).toHaveProperty('firstFrame');
  });

  it('emit writes a sourceable best.env with a header, and summary.json', async () => {
    const out = join(dir, 'out');
    const run = await runCli(['emit', '--db', db, '--study', 'demo', '--out', out]);
    // Other emitters may add notes (e.g. no network probe for sysctl); no error line.
    expect(run.stderr).not.toMatch(/^autotune:/m);
    expect(run.exitCode).toBe(0);
    const env = readFileSync(join(out, 'best.env'), 'utf8');
    expect(env).toMatch(/^# sn44-autotune: best config of study "demo"/);
    expect(env).toMatch(/# vs fork-default \(trial 0, median 1\.900 s\): 1\.73x faster, 800 ms saved/);
    expect(env).toContain('export SPEED=1');
    const sourced = await execa('bash', ['-c', `set -eu; source ${JSON.stringify(join(out, 'best.env'))}; echo "$IMG_SIZE/$FRAME_STRIDE/$SPEED"`]);
    expect(sourced.stdout).toBe('320/1/1');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.winner).toMatchObject({ number: 1, feasible: true });
    expect(summary.baselines[0]).toMatchObject({ name: 'fork-default', number: 0 });
    expect(summary.trials).toHaveLength(4);
    // The pipeline's times stand in for the miner's: every output says so.
    expect(env).toMatch(/^# measured by the built-in pipeline \(undici, ffmpeg, onnxruntime\): a stand-in for your miner, so its times are a proxy for what a validator measures; /m);
    expect(summary.study.measuredBy).toMatchObject({ evaluator: 'the built-in pipeline', proxy: true });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('a stand-in for your miner, so its times are a proxy');
    expect((await runCli(['trials', '--db', db, '--study', 'demo'])).stdout.split('\n')[1]).toMatch(/^measured by the built-in pipeline .*a proxy/);
  });

  it("leaves another program's SQLite file and an empty file as they are", async () => {
    const foreign = join(dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE foo (x INTEGER); INSERT INTO foo VALUES (1);');
    other.close();
    const empty = join(dir, 'empty-file.db');
    writeFileSync(empty, '');
    const before = [readFileSync(foreign), readFileSync(empty)];
    const read = await runCli(['trials', '--db', foreign]);
    expect(read.exitCode).toBe(2);
    expect(read.stderr.trim().split('\n')).toEqual([
      `autotune: ${foreign} is not an autotune results database (it holds another program's tables: foo) (pass --db with another file name)`,
    ]);
    const written = await runCli(['export', '--db', foreign, '--table', join(dir, 'x.csv')]);
    expect(written.exitCode).toBe(2);
    const none = await runCli(['trials', '--db', empty]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/^autotune: no results database at .*empty-file\.db/);
    expect([readFileSync(foreign), readFileSync(empty)]).toEqual(before);
    expect(existsSync(`${foreign}-wal`)).toBe(false);
  });

  it('finishes quietly when its reader closes the pipe early (autotune trials | head)', async () => {
    for (const args of [['trials'], ['show', '1']]) {
      const child = execa('node', cliArgs([...args, '--db', db, '--study', 'demo']), { cwd: root, reject: false, stdin: 'ignore', stderr: 'pipe' });
      child.stdout!.destroy(); // the reader is gone before the first line
      const run = await child;
      expect(run.stderr, args.join(' ')).toBe('');
      expect(run.exitCode, args.join(' ')).toBe(0);
    }
  });

  it('fails with one clear line: unknown study, ambiguous, empty study, no feasible trial, unknown trial', async () => {
    const cases: [string[], RegExp][] = [
      [['trials', '--db', db, '--study', 'nope'], /no study named "nope"/],
      [['trials', '--db', db], /holds 3 studies: demo, broken, empty .*--study/],
      [['trials', '--db', db, '--study', 'empty'], /study "empty" has no finished trial yet/],
      [['emit', '--db', db, '--study', 'empty', '--out', join(dir, 'e')], /no finished trial/],
      [['emit', '--db', db, '--study', 'broken', '--out', join(dir, 'b')], /no feasible trial to emit: every trial failed .*stall x/],
      [['show', '99', '--db', db, '--study', 'demo'], /has no trial 99/],
      [['trials', '--db', join(dir, 'typo.db')], /no results database at .*typo\.db/],
      [['report', '--db', join(dir, 'typo.db'), '--out', join(dir, 'r.html')], /no results database/],
    ];
    for (const [args, pattern] of cases) {
      const run = await runCli(args);
      // A study, trial or database named on the command line that cannot be used: a bad command line.
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(pattern);
    }
    // A mistyped --db is reported, not created as an empty store.
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
  });
});
