import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { constantModel } from './infer-models.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-infer-cli-'));
const model = join(dir, 'lab-detector.onnx');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('autotune model make / autotune infer', () => {
  beforeAll(async () => {
    const made = await runCli(['model', 'make', '--out', model]);
    expect(made.exitCode).toBe(0);
    expect(made.stdout).toContain(`wrote ${model}`);
    expect(made.stdout).toMatch(/compute at 640: \d+\.\d+ GFLOPs/);
  });

  it('prints one JSON object with F1 against the truth, frames/s and the provider', async () => {
    const clip = await labClip({ frames: 16 });
    const r = await runCli(['infer', clip.path, '--model', model, '--truth', clip.truthPath, '--json', '--batch', '8', '--device', 'cuda']);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ frames: 16, provider: 'cpu', imgSize: 640, batch: 8 });
    expect(out.f1).toBeGreaterThanOrEqual(0.9);
    expect(out.precision).toBeGreaterThan(0);
    expect(out.recall).toBeGreaterThan(0);
    expect(out.framesPerSecond).toBeGreaterThan(0);
    expect(out.preprocessMsPerFrame).toBeGreaterThan(0);
    expect(out.providerNote).toMatch(/CUDA execution provider unavailable/);
    expect(r.stderr).toMatch(/CUDA execution provider unavailable .*; using CPU/);
  });

  it('maps model classes with --class-map: swapping player and referee costs the referees and players', async () => {
    const clip = await labClip({ frames: 16 });
    const run = (extra: string[]) =>
      runCli(['infer', clip.path, '--model', model, '--truth', clip.truthPath, '--json', '--device', 'cpu', ...extra]);
    const same = JSON.parse((await run(['--class-map', '0=ball,1=goalkeeper,2=player,3=referee'])).stdout);
    const swapped = JSON.parse((await run(['--class-map', '0=ball,1=goalkeeper,2=referee,3=player'])).stdout);
    const dropped = await run(['--class-map', '0=ball']);
    expect(same.f1).toBeGreaterThanOrEqual(0.9);
    expect(swapped.f1).toBeLessThan(same.f1 - 0.5);
    // Only the ball is kept: precision stays, recall falls to the balls' share of the truth.
    const onlyBall = JSON.parse(dropped.stdout);
    expect(onlyBall.recall).toBeLessThan(0.2);
    const bad = await run(['--class-map', '0=goalie']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^autotune: --class-map entry "0=goalie": unknown SN44 class goalie/);
  });

  it('prints a human summary', async () => {
    const clip = await labClip({ frames: 16 });
    const r = await runCli(['infer', clip.path, '--model', model, '--truth', clip.truthPath, '--img-size', '320', '--device', 'cpu']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/16 frames of .* at 320x320, batch 16: [\d.]+ frames\/s/);
    expect(r.stdout).toMatch(/provider cpu; decoder h264/);
    expect(r.stdout).toMatch(/preprocessing [\d.]+ ms\/frame/);
    expect(r.stdout).toMatch(/F1 0\.\d{3}/);
  });

  it('ends with one clear line for a missing model and for a model that is not a detector', async () => {
    const clip = await labClip({ frames: 16 });
    const missing = await runCli(['infer', clip.path, '--model', join(dir, 'nope.onnx')]);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain(`model ${join(dir, 'nope.onnx')} does not exist`);

    const vector = constantModel({ rows: 8, cols: 100, values: new Array(800).fill(0), inputShape: ['batch', 10] }, 'vector');
    const notImage = await runCli(['infer', clip.path, '--model', vector]);
    expect(notImage.exitCode).not.toBe(0);
    expect(notImage.stderr.trim().split('\n')).toHaveLength(1);
    expect(notImage.stderr).toContain(`model ${vector}: input images has shape [batch, 10]`);
  });
});
