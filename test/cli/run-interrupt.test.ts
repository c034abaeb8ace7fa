// Ctrl-C in the middle of `autotune run`: every finished challenge stays, the running trial is kept
// as PRUNED, the exit code is 130, and the same command resumes with the numbering continued.
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { cliArgs, runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { PLANTED_SPACE, writePlanted } from '../replay/fixtures/planted.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'autotune-sigint-'));
const samples = join(dir, 'samples');
const db = join(dir, 'results.db');
const model = 'models/lab-detector.onnx';
const study = ['run', '--samples', samples, '--space', 'search-spaces/quick.yaml', '--db', db, '--model', model,
  '--repeats', '3', '--confirm-repeats', '0', '--control', 'none', '--device', 'cpu', '--sampler', 'random', '--seed', '3', '--accuracy-floor', '0.2'];

beforeAll(async () => {
  mkdirSync(samples);
  const clip = await labClip({ frames: 25, width: 320, height: 180, seed: 1 });
  copyFileSync(clip.path, join(samples, 'clip-1.mp4'));
});

describe('autotune run interrupted with Ctrl-C', () => {
  it('keeps finished trials, marks the running one PRUNED, exits 130, and resumes', async () => {
    const child = execa('node', cliArgs([...study, '--trials', '20']), { cwd: root, reject: false, stdin: 'ignore' });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no second trial finished:\n${out}`)), 240_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        // Two trials done and the third started (three challenges; no control round in between):
        // it is running when the signal arrives.
        if (/trial 1 done[\s\S]*trial 2 .*started/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.exitCode, `${stopped.stdout}\n${stopped.stderr}`).toBe(130);
    expect(stopped.stdout).toMatch(/interrupted: .*every finished challenge is saved/);
    expect(stopped.stdout).toMatch(/resume with the same command .*; trial \d+, cut short, is kept as PRUNED and not counted/);

    const before = JSON.parse((await runCli(['trials', '--db', db, '--json'])).stdout) as { number: number; state: string }[];
    const numbers = before.map((t) => t.number).sort((a, b) => a - b);
    expect(numbers.slice(0, 2)).toEqual([0, 1]);
    expect(before.filter((t) => t.state === 'COMPLETE').length).toBeGreaterThanOrEqual(2);
    expect(before.some((t) => t.state === 'PRUNED')).toBe(true);

    const resumed = await runCli([...study, '--trials', '1']);
    expect(resumed.exitCode, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(resumed.stdout).toMatch(/resuming study quick \(\d+ trials so far/);
    const after = JSON.parse((await runCli(['trials', '--db', db, '--json'])).stdout) as { number: number }[];
    const last = Math.max(...numbers);
    // The resumed study served its sample at the URL it had: one video, not one per run.
    const storage = await openStorage(db);
    try {
      const [study] = await storage.listStudies();
      const urls = new Set((await storage.listMeasurements({ studyId: study!.id })).map((m) => m.videoUrl));
      expect([...urls]).toHaveLength(1);
    } finally {
      await storage.close();
    }
    // Nothing finished was lost, and new trials are numbered after the old ones.
    for (const n of numbers) expect(after.map((t) => t.number)).toContain(n);
    expect(Math.max(...after.map((t) => t.number))).toBeGreaterThan(last);
  }, 600_000);

  it('stops a replay study too, whose challenges never wait on I/O', async () => {
    const table = writePlanted(join(dir, 'planted.csv'));
    const replayDb = join(dir, 'replay.db');
    // A race of a hundred thousand rounds: far longer than the test waits.
    const args = ['run', '--evaluator', 'replay', '--table', table, '--space', PLANTED_SPACE, '--db', replayDb,
      '--trials', '4', '--repeats', '1', '--racing', 'off', '--control', 'none', '--confirm-repeats', '100000', '--accuracy-floor', '0.9'];
    const child = execa('node', cliArgs(args), { cwd: root, reject: false, stdin: 'ignore' });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the race did not start:\n${out}`)), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/confirmation race/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const stopped = await child;
    clearTimeout(killer);
    expect(stopped.exitCode, `${stopped.stdout}\n${stopped.stderr}`).toBe(130);
    expect(stopped.stdout).toMatch(/interrupted: .*every finished challenge is saved/);
    // The race was running: no trial was cut short.
    expect(stopped.stdout).not.toMatch(/cut short/);
    const trials = JSON.parse((await runCli(['trials', '--db', replayDb, '--json'])).stdout) as { state: string }[];
    expect(trials.filter((t) => t.state === 'COMPLETE').length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
