// The turbovision protocol against a fixture miner that pm2 does not run: --restart-command restarts
// it with each trial's knobs (read from the {env} file), --require-reproducible makes a trial whose
// repeated answers differ infeasible, and the miner ends as it was found.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal, runCli } from '../helpers/cli.js';
import { FIXTURES, freePort, sampleDir } from './helpers.js';

const MINER_ENV = 'BLACKLIST_ENABLED=false\nREPRODUCIBLE=1\n';

describe('the miner evaluator with --protocol turbovision and --restart-command', () => {
  let work: string;
  let state: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'miner-turbovision-'));
    state = join(work, 'state');
    mkdirSync(state);
    mkdirSync(join(work, 'miner'));
    writeFileSync(join(work, 'miner', '.env'), MINER_ENV);
    port = await freePort();
    env = { ...process.env, FIXTURE_STATE: state, FIXTURE_PORT: String(port), FIXTURE_PROTOCOL: 'turbovision', FIXTURE_FRAMES: '25' };
    const first = join(work, 'first.env');
    writeFileSync(first, 'REPRODUCIBLE=1\n');
    await execa(process.execPath, [join(FIXTURES, 'restart-fixture.cjs'), first], { env });
  });
  afterAll(() => {
    try {
      process.kill(Number(readFileSync(join(state, 'fixture.pid'), 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('measures each trial after a restart with its knobs and finds the trial whose repeated answers differ', async () => {
    const samples = await sampleDir(work, 1);
    const db = join(work, 'tv.db');
    const run = await runCli(
      [
        'run', '--evaluator', 'miner', '--protocol', 'turbovision', '--miner-url', `http://127.0.0.1:${port}`, '--miner-dir', join(work, 'miner'),
        '--restart-command', `'${process.execPath}' '${join(FIXTURES, 'restart-fixture.cjs')}' {env}`,
        '--samples', samples, '--space', join(FIXTURES, 'reproducible.yaml'), '--db', db, '--sampler', 'grid', '--trials', '2',
        '--repeats', '3', '--confirm-repeats', '0', '--require-reproducible', '--ready-timeout', '20',
      ],
      { env },
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('answers reproducible across repeats');

    const trials = JSON.parse((await runCli(['trials', '--db', db, '--json'])).stdout) as {
      params: { REPRODUCIBLE: number }; feasible: boolean; reproducible: boolean | null; why: string | null; accuracy: number | null; coverage: number | null; sn44: number | null; setupS: number | null;
    }[];
    const flaky = trials.find((t) => t.params.REPRODUCIBLE === 0)!;
    const steady = trials.find((t) => t.params.REPRODUCIBLE === 1)!;
    expect(flaky).toMatchObject({ feasible: false, reproducible: false, why: 'answers differ between repeats (1 video(s))' });
    // Its items still match the reference's (same actions, same frames): accuracy is not what fails it.
    expect(flaky.accuracy).toBe(1);
    expect(steady).toMatchObject({ feasible: true, reproducible: true, accuracy: 1, coverage: null, sn44: null });
    expect(trials[0]!.params.REPRODUCIBLE).toBe(1);
    expect(steady.setupS).toBeGreaterThan(0);

    // The restart command got each config through the {env} file: after the test's own start, the
    // reference config, the trial that differs from it, and the restore at the end.
    const restarts = readFileSync(join(state, 'restarts.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const values = restarts.map((r) => r.REPRODUCIBLE);
    expect(values.slice(0, 2)).toEqual(['1', '1']);
    expect(values.slice(2)).toContain('0');
    expect(restarts.at(-1)).toEqual({ REPRODUCIBLE: '1' });
    expect(readFileSync(join(work, 'miner', '.env'), 'utf8')).toBe(MINER_ENV);
    expect(readdirSync(join(work, 'miner'))).toEqual(['.env']);
    const now = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.json());
    expect(now).toMatchObject({ reproducible: '1' });
  }, 300_000);

  it('refuses options that do not fit the protocol with one line', async () => {
    const base = ['run', '--url', 'http://127.0.0.1:9/a.mp4', '--evaluator', 'miner', '--protocol', 'turbovision', '--miner-url', 'http://127.0.0.1:9', '--miner-dir', work, '--pm2', 'x'];
    for (const [more, pattern] of [
      [['--objective', 'sn44'], /--objective sn44 estimates the legacy validator's score, which does not apply to --protocol turbovision/],
      [['--reference', 'pipeline'], /--reference pipeline gives boxes, not the action items/],
      [['--require-reproducible', '--repeats', '1'], /--require-reproducible compares repeated answers on a video: it needs --repeats >= 2/],
    ] as [string[], RegExp][]) {
      const run = await refusal([...base, ...more]);
      expect(run.exitCode, more.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(pattern);
    }
  });
});
