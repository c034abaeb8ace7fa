// `autotune run --evaluator miner` against a small fixture miner under a real pm2: each bad answer a
// validator would refuse is a typed failure of its challenge, a value the miner dies with fails its
// trial with the miner's last log lines, and the study goes on; the miner ends as it was found, also
// after the study is killed outright (the next run, or apply --rollback, restores it first).
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { cliArgs, runCli } from '../helpers/cli.js';
import { createPm2Lab, type Pm2Lab } from '../apply/pm2-fixture.js';
import { FIXTURES, freePort, pm2Env, sampleDir } from './helpers.js';

const MINER_ENV = '# fixture miner\nexport WALLET_NAME=miner1\nANSWER=ok   # what it answers\n';
const root = new URL('../..', import.meta.url).pathname;

describe('the miner evaluator against a fixture miner under pm2', () => {
  let lab: Pm2Lab;
  let work: string;
  let samples: string;
  let minerDir: string;
  let port: number;
  let model: string;
  beforeAll(async () => {
    lab = createPm2Lab();
    work = mkdtempSync(join(tmpdir(), 'miner-fixture-'));
    // Its own copy: models/lab-detector.onnx exists only once another test file has made it.
    model = join(work, 'lab-detector.onnx');
    writeFileSync(model, buildLabDetector().bytes);
    samples = await sampleDir(work, 1);
    minerDir = join(work, 'miner');
    mkdirSync(minerDir);
    writeFileSync(join(minerDir, '.env'), MINER_ENV);
    port = await freePort();
    await execa(process.execPath, [...['node_modules/.bin/pm2'], 'start', join(FIXTURES, 'fixture-miner.cjs'), '--name', 'fx', '--update-env'], {
      cwd: root,
      env: { ...lab.env, FIXTURE_PORT: String(port), FIXTURE_FRAMES: '25', ANSWER: 'ok' },
      stdin: 'ignore',
    });
  });
  afterAll(async () => {
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  });

  const study = (db: string, more: string[] = []) => [
    'run', '--evaluator', 'miner', '--miner-url', `http://127.0.0.1:${port}`, '--miner-dir', minerDir, '--pm2', 'fx',
    '--samples', samples, '--space', join(FIXTURES, 'answers.yaml'), '--db', db, '--sampler', 'grid',
    '--repeats', '1', '--confirm-repeats', '0', '--challenge-timeout', '1', '--ready-timeout', '20', ...more,
  ];

  async function expectAsFound(): Promise<void> {
    expect(readFileSync(join(minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
    expect(readdirSync(minerDir).sort()).toEqual(['.env']);
    const proc = await pm2Env(lab, 'fx', ['ANSWER']);
    expect(proc).toMatchObject({ status: 'online', env: { ANSWER: 'ok' } });
    const answers = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.json());
    expect(answers).toMatchObject({ answer: 'ok', pid: proc.pid });
  }

  it('records each bad answer as a typed failure, fails the value the miner dies with, and restores the miner', async () => {
    const db = join(work, 'answers.db');
    // pm2 through a wrapper that counts its commands: each starts a node process on the miner's host.
    const calls = join(work, 'pm2-calls.log');
    const wrapper = join(work, 'pm2-counting');
    writeFileSync(wrapper, `#!/bin/sh\necho "$1" >> ${JSON.stringify(calls)}\nexec ${JSON.stringify(join(root, 'node_modules/.bin/pm2'))} "$@"\n`, { mode: 0o755 });
    const run = await runCli(study(db, ['--trials', '8']), { env: { ...lab.env, PM2_BIN: wrapper } });
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/winner: trial \d+/);
    // About one list per restart: a restart reuses the process pm2 listed last while its pid runs.
    const commands = readFileSync(calls, 'utf8').trim().split('\n');
    const restarts = commands.filter((c) => c === 'restart').length;
    expect(restarts).toBeGreaterThanOrEqual(10);
    expect(commands.filter((c) => c === 'jlist').length).toBeLessThanOrEqual(restarts + 6);

    const trials = JSON.parse((await runCli(['trials', '--db', db, '--json'])).stdout) as {
      number: number; params: { ANSWER: string }; state: string; feasible: boolean; why: string | null; failureReasons: Record<string, number>; setupS: number | null;
    }[];
    const byAnswer = Object.fromEntries(trials.map((t) => [t.params.ANSWER, t]));
    expect(Object.keys(byAnswer).sort()).toEqual(['crash', 'down', 'http-500', 'malformed', 'ok', 'past-end', 'slow', 'wrong-id']);
    expect(byAnswer.ok).toMatchObject({ state: 'COMPLETE', feasible: true });
    const reasons: Record<string, string> = {
      malformed: 'answer-schema', 'wrong-id': 'answer-schema', 'past-end': 'answer-frames', slow: 'timeout', down: 'miner-down', 'http-500': 'http-status', crash: 'miner-restart',
    };
    for (const [answer, reason] of Object.entries(reasons)) {
      expect(byAnswer[answer], answer).toMatchObject({ state: 'FAIL', failureReasons: { [reason]: 1 } });
    }
    // Every trial that came up was timed from its restart to the miner's first answer.
    for (const t of trials.filter((x) => x.params.ANSWER !== 'crash')) expect(t.setupS, t.params.ANSWER).toBeGreaterThan(0);

    const show = async (answer: string) => JSON.parse((await runCli(['show', String(byAnswer[answer]!.number), '--db', db, '--json'])).stdout) as {
      trial: { reason: string }; measurements: { error: { reason: string; message: string } | null; setupS: number | null; accuracy: number | null }[];
    };
    expect((await show('wrong-id')).measurements[0]!.error!.message).toMatch(/challenge_id "autotune-[0-9a-f]+-other" does not echo the challenge's "autotune-[0-9a-f]+"/);
    expect((await show('past-end')).measurements[0]!.error!.message).toMatch(/frame_number 35\) is outside the video's frames 0\.\.24/);
    expect((await show('malformed')).measurements[0]!.error!.message).toMatch(/the reply is not JSON/);
    expect((await show('slow')).measurements[0]!.error!.message).toMatch(/no complete reply .* within 1 s/);
    expect((await show('http-500')).measurements[0]!.error!.message).toMatch(/HTTP 500 from the miner: model not loaded/);
    const crash = await show('crash');
    expect(crash.trial.reason).toMatch(/every challenge failed: miner-restart x1; first: miner-restart: pm2 process fx: .*its last log lines: .*ANSWER=crash: this miner cannot start with it/);
    expect((await show('ok')).measurements[0]).toMatchObject({ error: null, accuracy: 1 });

    await expectAsFound();
  }, 300_000);

  it('diagnose measures one challenge through the miner as it runs, or restarted with --set knobs and restored', async () => {
    const { startLabServer } = await import('../../src/lab/server/index.js');
    const server = await startLabServer({ dir: samples, port: 0, httpPort: 0, log: () => {} });
    try {
      const url = `${server.httpUrl}clip-1.mp4`;
      const base = ['diagnose', url, '--evaluator', 'miner', '--miner-url', `http://127.0.0.1:${port}`, '--json'];
      const asIs = await runCli(base, { env: lab.env });
      expect(asIs.exitCode, asIs.stderr).toBe(0);
      const plain = JSON.parse(asIs.stdout);
      expect(plain).toMatchObject({ error: null, framesAnswered: 25, framesInVideo: 25, setupS: null, accuracy: null });
      expect(plain.timeline.total).toBeGreaterThan(0);
      // Against this project's pipeline: the fixture's made-up boxes are scored, not assumed right.
      const scored = JSON.parse((await runCli([...base, '--reference', 'pipeline', '--model', model, '--device', 'cpu'], { env: lab.env })).stdout);
      expect(scored.coverage).toBe(1);
      expect(scored.accuracy).toBeGreaterThanOrEqual(0);
      expect(scored.accuracy).toBeLessThan(0.5);

      const switched = await runCli([...base, '--set', 'ANSWER=past-end', '--miner-dir', minerDir, '--pm2', 'fx'], { env: lab.env });
      // The result is printed, then an answer a validator rejects exits 7 (see the README's exit codes).
      expect(switched.exitCode, switched.stderr).toBe(7);
      expect(switched.stderr.trim().split('\n').at(-1)).toMatch(/^autotune: the challenge failed \(answer-frames\): frames\[25\] \(frame_number 35\) is outside the video's frames 0\.\.24 \(/);
      const bad = JSON.parse(switched.stdout);
      expect(bad.error).toMatchObject({ reason: 'answer-frames' });
      expect(bad.setupS).toBeGreaterThan(0);
      await expectAsFound();

      const refused = await runCli([...base, '--set', 'ANSWER=slow'], { env: lab.env });
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(/--env\/--set with --evaluator miner restart the miner with those knobs: that needs --miner-dir/);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('a miner that never answers within --ready-timeout exits 6 and is restored; one not answering at all stops the study before it starts (exit 6)', async () => {
    const { startLabServer } = await import('../../src/lab/server/index.js');
    const server = await startLabServer({ dir: samples, port: 0, httpPort: 0, log: () => {} });
    try {
      const url = `${server.httpUrl}clip-1.mp4`;
      const mute = await runCli(
        ['diagnose', url, '--evaluator', 'miner', '--miner-url', `http://127.0.0.1:${port}`, '--miner-dir', minerDir, '--pm2', 'fx', '--set', 'ANSWER=mute', '--ready-timeout', '3', '--json'],
        { env: lab.env },
      );
      expect(mute.exitCode, mute.stderr).toBe(6);
      expect(mute.stderr).not.toMatch(/\n\s+at /);
      expect(mute.stderr.trim().split('\n').at(-1)).toMatch(/^autotune: the challenge failed \(miner-restart\): pm2 process fx: the miner did not (answer at http:\/\/127\.0\.0\.1:\d+|come up with the new values) within 3 s[; ]/);
      // Only what the miner logged since this restart: the crash an earlier trial logged is not this one's.
      expect(mute.stderr).not.toContain('ANSWER=crash: this miner cannot start with it');
      await expectAsFound();

      // Up under pm2, then dead before it answers: seen as it happens, long before --ready-timeout.
      const dies = await runCli(
        ['diagnose', url, '--evaluator', 'miner', '--miner-url', `http://127.0.0.1:${port}`, '--miner-dir', minerDir, '--pm2', 'fx', '--set', 'ANSWER=dies', '--ready-timeout', '60', '--json'],
        { env: lab.env },
      );
      expect(dies.exitCode, dies.stderr).toBe(6);
      expect(dies.stderr.trim().split('\n').at(-1)).toMatch(
        /^autotune: the challenge failed \(miner-restart\): pm2 process fx: the miner stopped while starting: fx (exited and pm2 started it again \(pid \d+, now \d+\)|is [a-z ]+ \(\d+ restarts\)); its last log lines: .*ANSWER=dies: out of memory while loading the model/,
      );
      await expectAsFound();
    } finally {
      await server.close();
    }
    const closed = await freePort();
    const nobody = await runCli(['run', '--evaluator', 'miner', '--miner-url', `http://127.0.0.1:${closed}`, '--miner-dir', minerDir, '--pm2', 'fx', '--samples', samples, '--space', join(FIXTURES, 'answers.yaml'), '--db', join(work, 'nobody.db')], { env: lab.env });
    expect(nobody.exitCode, nobody.stderr).toBe(6);
    expect(nobody.stderr.trim().split('\n')).toHaveLength(1);
    expect(nobody.stderr).toMatch(new RegExp(`^autotune: the miner at http://127\\.0\\.0\\.1:${closed} does not answer`));
    // Nothing was measured or stored: no study (the store file may exist, empty).
    if (existsSync(join(work, 'nobody.db'))) expect(JSON.parse((await runCli(['trials', '--db', join(work, 'nobody.db'), '--json'])).stdout || '[]')).toEqual([]);
  }, 120_000);

  it('after the study is killed outright, apply --rollback (or the next run) restores the miner first', async () => {
    const db = join(work, 'killed.db');
    const child = execa('node', cliArgs(study(db, ['--trials', '8'])), { cwd: root, env: lab.env, reject: false, stdin: 'ignore' });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no trial finished:\n${out}`)), 120_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/trial 1 done/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await child;
    expect(existsSync(join(minerDir, '.autotune-study.json'))).toBe(true);
    // Killed while it wrote the .env (the kill lands there now and then): its temp file is beside it.
    writeFileSync(join(minerDir, `..env.autotune-tmp-${child.pid}`), 'IMG_SIZE=3');

    const back = await runCli(['apply', '--rollback', '--miner-dir', minerDir, '--pm2', 'fx'], { env: lab.env });
    expect(back.stderr).toBe('');
    expect(back.exitCode).toBe(0);
    expect(back.stdout).toMatch(/restoring the miner in .*: a study started .* did not finish/);
    expect(back.stdout).toMatch(/restarted the miner \(pm2 process fx\) with the values it ran with before the study/);
    await expectAsFound();

    // Killed again: this time the next run restores before it measures anything.
    const again = execa('node', cliArgs(study(join(work, 'killed-2.db'), ['--trials', '8'])), { cwd: root, env: lab.env, reject: false, stdin: 'ignore' });
    let out2 = '';
    await new Promise<void>((resolve) => again.stdout!.on('data', (chunk: Buffer) => ((out2 += chunk.toString()), /trial 0 done/.test(out2) && resolve())));
    again.kill('SIGKILL');
    await again;
    const next = await runCli(study(join(work, 'killed-3.db'), ['--trials', '1']), { env: lab.env });
    expect(next.stderr).not.toMatch(/\n\s+at /);
    expect(next.stdout).toMatch(/restoring the miner in .*: a study started .* did not finish/);
    expect(next.stdout.indexOf('restoring the miner in')).toBeLessThan(next.stdout.indexOf('trial 0'));
    await expectAsFound();
  }, 300_000);

  it('a knob the miner did not have before the study is named on every way back (end of study, apply --rollback after a kill)', async () => {
    // pm2 cannot unset a knob, so each way back gets a knob of its own.
    const spaceWith = (knob: string) => {
      const path = join(work, `${knob}.yaml`);
      writeFileSync(path, `name: absent\nparams:\n  ANSWER:\n    type: categorical\n    choices: [ok]\n  ${knob}:\n    type: categorical\n    choices: [a, b, c, d, e, f]\nreference:\n  ANSWER: ok\n  ${knob}: a\n`);
      return path;
    };
    const withSpace = (knob: string, db: string, trials: string) => study(db, ['--trials', trials]).map((a) => (a === join(FIXTURES, 'answers.yaml') ? spaceWith(knob) : a));
    const note = (knob: string) => new RegExp(`note: pm2 process fx had no ${knob} before the study and still carries the last trial's \\(pm2 restart --update-env cannot unset variables\\); to drop them: pm2 delete fx`);
    const done = await runCli(withSpace('FX_ABSENT_END', join(work, 'absent.db'), '2'), { env: lab.env });
    expect(done.exitCode, `${done.stdout}\n${done.stderr}`).toBe(0);
    expect(done.stdout).toMatch(note('FX_ABSENT_END'));

    const child = execa('node', cliArgs(withSpace('FX_ABSENT_KILLED', join(work, 'absent-killed.db'), '6')), { cwd: root, env: lab.env, reject: false, stdin: 'ignore' });
    let out = '';
    await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => ((out += chunk.toString()), /trial 1 done/.test(out) && resolve())));
    child.kill('SIGKILL');
    await child;
    const back = await runCli(['apply', '--rollback', '--miner-dir', minerDir, '--pm2', 'fx'], { env: lab.env });
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/restarted the miner \(pm2 process fx\) with the values it ran with before the study/);
    expect(back.stdout).toMatch(note('FX_ABSENT_KILLED'));
    expect(readFileSync(join(minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
  }, 300_000);
});
