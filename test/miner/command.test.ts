// The command form (a target runner per challenge): the trial's knobs in its environment, the video
// URL as one untouched argument even when it carries shell metacharacters, stdout read as the sn44
// answer; a non-zero exit, a timeout and output that is not JSON are typed failures.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { splitCommand, substitute } from '../../src/miner/command/argv.js';
import { refusal, runCli } from '../helpers/cli.js';
import { FIXTURES, sampleDir } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('splitting a command line without a shell', () => {
  it('groups quoted words, keeps placeholders inside a word, and refuses shell syntax', () => {
    expect(splitCommand(`python3 'my script.py' --video-url={url} "a \\"b\\"" c\\ d`, '--command')).toEqual(['python3', 'my script.py', '--video-url={url}', 'a "b"', 'c d']);
    expect(substitute(['x', '--u={url}', '{url}'], { url: "a b;$(c)|'d'" })).toEqual(['x', "--u=a b;$(c)|'d'", "a b;$(c)|'d'"]);
    expect(() => splitCommand('bench {url} | tee log', '--command')).toThrow(/uses shell syntax, but it runs without a shell/);
    expect(() => splitCommand('bench $(url)', '--command')).toThrow(/shell syntax/);
    expect(() => splitCommand("bench 'url", '--command')).toThrow(/unclosed ' quote/);
  });
});

describe('autotune run --evaluator command', () => {
  let work: string;
  let server: LabServer;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'miner-command-'));
    server = await startLabServer({ dir: await sampleDir(work, 1), port: 0, httpPort: 0, log: () => {} });
  });
  afterAll(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the command per challenge with the URL as one untouched argument, and types its failures', async () => {
    const url = `${server.httpUrl}clip-1.mp4?x=$(touch${'${IFS}'}pwned);rm&y=|cat\`id\`'q'"r"`;
    const log = join(work, 'command.log');
    const db = join(work, 'command.db');
    const run = await runCli(
      [
        'run', '--evaluator', 'command', '--command', `'${process.execPath}' '${join(FIXTURES, 'fixture-command.cjs')}' --video-url {url}`,
        '--url', url, '--space', join(FIXTURES, 'command.yaml'), '--db', db, '--sampler', 'grid', '--trials', '4',
        '--repeats', '1', '--confirm-repeats', '0', '--challenge-timeout', '1',
      ],
      { env: { ...process.env, COMMAND_LOG: log, FIXTURE_FRAMES: '25' } },
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);

    const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; mode: string });
    for (const call of calls) expect(call.argv).toEqual(['--video-url', url]);
    // The reference run (COMMAND_MODE=ok) and one per trial, each with its knob.
    expect(calls.map((c) => c.mode).sort()).toEqual(['exit', 'garbage', 'ok', 'ok', 'slow']);
    expect(existsSync(join(root, 'pwned'))).toBe(false);

    const trials = JSON.parse((await runCli(['trials', '--db', db, '--json'])).stdout) as {
      params: { COMMAND_MODE: string }; state: string; feasible: boolean; failureReasons: Record<string, number>; accuracy: number | null; coverage: number | null; median: number | null;
    }[];
    const byMode = Object.fromEntries(trials.map((t) => [t.params.COMMAND_MODE, t]));
    expect(byMode.ok).toMatchObject({ state: 'COMPLETE', feasible: true, accuracy: 1, coverage: 1 });
    expect(byMode.ok!.median).toBeGreaterThan(0);
    expect(byMode.exit).toMatchObject({ state: 'FAIL', failureReasons: { 'command-exit': 1 } });
    expect(byMode.slow).toMatchObject({ state: 'FAIL', failureReasons: { timeout: 1 } });
    expect(byMode.garbage).toMatchObject({ state: 'FAIL', failureReasons: { 'answer-schema': 1 } });
    const list = await runCli(['trials', '--db', db]);
    expect(list.stdout).toMatch(/command-exit: the command exited 4: the benchmark could not load its model/);
    expect(list.stdout).toMatch(/timeout: the command did not exit within 1 s/);
  }, 300_000);

  it('diagnose --save stores the command\'s runs as trials of its study, a failed one too, before exiting with its code', async () => {
    const db = join(work, 'diagnose.db');
    const url = `${server.httpUrl}clip-1.mp4`;
    const command = ['--evaluator', 'command', '--command', `'${process.execPath}' '${join(FIXTURES, 'fixture-command.cjs')}' --video-url {url}`, '--challenge-timeout', '10'];
    const env = { env: { ...process.env, COMMAND_LOG: join(work, 'diagnose.log'), FIXTURE_FRAMES: '25' } };
    const ok = await runCli(['diagnose', url, ...command, '--set', 'COMMAND_MODE=ok', '--save', '--db', db, '--json'], env);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/autotune: saved as trial 0 \(COMPLETE\) of study "diagnose" in \S+diagnose\.db$/m);
    const bad = await runCli(['diagnose', url, ...command, '--set', 'COMMAND_MODE=exit', '--save', '--db', db], env);
    expect(bad.exitCode, bad.stderr).toBe(6);
    expect(bad.stderr).toMatch(/saved as trial 1 \(FAIL\) of study "diagnose"/);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(/^autotune: the challenge failed \(command-exit\): the command exited 4/);
    const failed = JSON.parse((await runCli(['show', '1', '--db', db, '--json'])).stdout);
    expect(failed.trial).toMatchObject({ state: 'FAIL', params: { COMMAND_MODE: 'exit' } });
    expect(failed.measurements.map((m: { error: { reason: string } | null }) => m.error?.reason)).toEqual(['command-exit']);
  }, 120_000);

  it('diagnose without --env/--set runs the command as it is (no knob in its environment)', async () => {
    const log = join(work, 'as-is.log');
    const run = await runCli(
      ['diagnose', `${server.httpUrl}clip-1.mp4`, '--evaluator', 'command', '--command', `'${process.execPath}' '${join(FIXTURES, 'fixture-command.cjs')}' --video-url {url}`, '--json'],
      { env: { ...process.env, COMMAND_LOG: log, FIXTURE_FRAMES: '25' } },
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: null, framesAnswered: 25, framesInVideo: 25 });
    // COMMAND_MODE unset: the fixture's own default.
    expect(readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).mode)).toEqual(['ok']);
  }, 120_000);

  it('refuses a command without {url}, with shell syntax, or with a miner option', async () => {
    const base = ['run', '--url', 'http://127.0.0.1:9/a.mp4', '--evaluator', 'command'];
    for (const [more, pattern] of [
      [['--command', 'bench --video x'], /--command "bench --video x" has no \{url\}/],
      [['--command', 'bench {url} > out.json'], /uses shell syntax, but it runs without a shell/],
      [['--command', 'bench {url}', '--pm2', 'miner'], /--pm2 do not apply to --evaluator command/],
      [[], /--evaluator command needs --command/],
    ] as [string[], RegExp][]) {
      const run = await refusal([...base, ...more]);
      expect(run.exitCode, more.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(pattern);
    }
  });
});
