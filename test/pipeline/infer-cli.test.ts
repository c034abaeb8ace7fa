import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { constantModel, end2endModel } from './infer-models.js';

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
    expect(out.layout).toEqual({ kind: 'yolov8', classes: 4, anchors: 46400 });
    expect(out.boxesPerFrame).toBeGreaterThan(5);
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

  it('decodes an end-to-end export as end2end (not as a one-class YOLOv5) and reports boxes per frame', async () => {
    const clip = await labClip({ frames: 16 });
    // 640x360 at 640: scale 1, padY 140.
    const model = end2endModel([
      [288, 304, 352, 336, 0.875, 2],
      [100, 200, 140, 260, 0.5, 1],
      [300, 300, 310, 310, 0.125, 2],
    ]);
    const r = await runCli(['infer', clip.path, '--model', model, '--json', '--device', 'cpu', '--batch', '4']);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.layout).toEqual({ kind: 'end2end', rows: 300 });
    expect(out.boxesPerFrame).toBe(2);
    const human = await runCli(['infer', clip.path, '--model', model, '--device', 'cpu']);
    expect(human.stdout).toMatch(/layout end2end \(up to 300 boxes\); 2\.0 boxes\/frame/);
  });

  it('stops with one line naming the candidates when the layout is ambiguous, and --model-layout settles it', async () => {
    const clip = await labClip({ frames: 16 });
    const rows = new Array<number>(300 * 9).fill(0);
    [0.5, 0.5, 0.125, 0.0625, 0, 0, 0.875, 0, 0].forEach((v, i) => (rows[i] = v));
    const model = constantModel({ rows: 300, cols: 9, values: rows }, 'rtdetr-single');
    const guessed = await runCli(['infer', clip.path, '--model', model, '--json', '--device', 'cpu', '--batch', '1']);
    expect(guessed.exitCode).not.toBe(0);
    expect(guessed.stderr.trim().split('\n')).toHaveLength(1);
    expect(guessed.stderr).toContain(`autotune: model ${model}: outputs output0 [1, 300, 9] at input 640x640 read as yolov5`);
    expect(guessed.stderr).toContain('pass --model-layout yolov5 or --model-layout rtdetr');
    const told = await runCli(['infer', clip.path, '--model', model, '--json', '--device', 'cpu', '--model-layout', 'rtdetr']);
    expect(told.exitCode).toBe(0);
    expect(JSON.parse(told.stdout)).toMatchObject({ layout: { kind: 'rtdetr', classes: 5, queries: 300 }, boxesPerFrame: 1 });
    const unknown = await runCli(['infer', clip.path, '--model', model, '--model-layout', 'yolov9']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/model-layout, Given: "yolov9", Choices: "yolov8", "yolov5", "end2end", "rtdetr"/);
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
