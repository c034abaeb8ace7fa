// What `autotune run` does with the model before a study: reads its layout, pins IMG_SIZE for a
// fixed-size export, refuses a model it cannot read before any video, and refuses a model whose
// answer is not a detector's.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { constantModel } from '../pipeline/infer-models.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-run-model-'));
const samples = join(dir, 'samples');
const QUICK = ['--space', 'search-spaces/quick.yaml', '--trials', '0', '--repeats', '1', '--confirm-repeats', '0', '--device', 'cpu'];

beforeAll(async () => {
  mkdirSync(samples);
  const clip = await labClip({ frames: 8, width: 320, height: 180 });
  copyFileSync(clip.path, join(samples, 'clip.mp4'));
});

function bytesModel(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// A fixed-size (320x320, batch 1) YOLOv8-layout export that never finds anything.
const emptyFixed = () => constantModel({ rows: 8, cols: 2100, values: new Array(8 * 2100).fill(0), inputShape: [1, 3, 320, 320] }, 'empty-320');

describe('autotune run: the model before the study', () => {
  it('pins IMG_SIZE to a fixed-size export, then stops on an empty answer with one line and no study', async () => {
    const model = emptyFixed();
    const db = join(dir, 'refused.db');
    const run = await runCli(['run', '--samples', samples, '--model', model, '--db', db, ...QUICK]);
    expect(run.exitCode).toBe(5);
    // The decoder is checked first, and says which ffmpeg it checked.
    expect(run.stdout.split('\n')[0]).toMatch(/^decoder: ffmpeg \S+ \((FFMPEG_PATH|PATH|npm): .+\) decodes H\.264$/);
    expect(run.stdout).toContain(`model ${model}: yolov8 (4 classes, 2100 anchors) at 320x320 (a fixed-size export)`);
    expect(run.stdout).toContain(
      `note: IMG_SIZE: model ${model} is a fixed-size export (input 320x320; export with dynamic=True to search sizes): pinned to 320 and not searched; overridden in reference (was 640), baseline fork-default (was 640), baseline QUICK (was 480)`,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      new RegExp(`^autotune: model check failed: model ${model} on https://127\\.0\\.0\\.1:\\d+/clip\\.mp4 \\(reference answer: 8 frames, IMG_SIZE 320, conf 0\\.25\\): no box on any of 8 frames \\(.*--no-model-check\\)$`),
    );
    const storage = await openStorage(db);
    expect(await storage.getStudy('quick')).toBeNull();
    await storage.close();
  });

  it.each([
    ['random bytes', () => bytesModel('random.onnx', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))), /^autotune: cannot load model \S+random\.onnx: .*Protobuf parsing failed.* \(check that the file is an ONNX model/],
    ['an empty file', () => bytesModel('empty.onnx', Buffer.alloc(0)), /^autotune: model file \S+empty\.onnx is empty \(0 bytes\) \(export the model again/],
    [
      'the wrong output shape',
      () => constantModel({ rows: 3, cols: 2, values: [0, 0, 0, 0, 0, 0] }, 'wrong-shape'),
      /^autotune: model \S+wrong-shape\.onnx: outputs output0 \[1, 3, 2\] at input 640x640 match no known layout .*--model-layout/,
    ],
  ])('a model of %s stops with one line before any video, trial or database', async (_what, make, line) => {
    const db = join(dir, `broken-${Math.floor(Math.random() * 1e9)}.db`);
    const run = await runCli(['run', '--samples', samples, '--model', make(), '--db', db, ...QUICK]);
    expect(run.exitCode).toBe(5);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(line);
    expect(run.stdout).not.toMatch(/serving|network:|trial/);
    expect(existsSync(db)).toBe(false);
  });

  it('--no-model-check lets the user run it anyway', async () => {
    const model = emptyFixed();
    const db = join(dir, 'unchecked.db');
    const run = await runCli(['run', '--samples', samples, '--model', model, '--db', db, '--no-model-check', ...QUICK]);
    expect(run.stdout).not.toContain('model check');
    expect(run.stderr).not.toContain('model check');
    const storage = await openStorage(db);
    const study = (await storage.getStudy('quick'))!;
    // The baselines were measured, all at the model's only size.
    const trials = await storage.listTrials(study.id);
    expect(trials.length).toBeGreaterThan(0);
    for (const t of trials) expect(t.params.IMG_SIZE).toBe(320);
    await storage.close();
  });

  it('stops before any video is fetched when the output layout is ambiguous; --model-layout is accepted', async () => {
    const ambiguous = constantModel({ rows: 300, cols: 84, values: new Array(300 * 84).fill(0) }, 'rtdetr-l');
    const run = await runCli(['run', '--url', 'http://127.0.0.1:9/never.mp4', '--model', ambiguous, '--db', join(dir, 'ambiguous.db'), ...QUICK]);
    expect(run.exitCode).toBe(5);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`autotune: model ${ambiguous}: outputs output0 [1, 300, 84] at input 640x640 read as yolov5 (79 classes, 300 anchors) or rtdetr (80 classes, 300 queries); pass --model-layout yolov5 or --model-layout rtdetr`);
    expect(run.stdout).not.toContain('network:');
    // Told which it is, the study goes on to the video (which cannot be fetched: the check is skipped).
    const told = await runCli(['run', '--url', 'http://127.0.0.1:9/never.mp4', '--model', ambiguous, '--model-layout', 'rtdetr', '--db', join(dir, 'told.db'), ...QUICK]);
    expect(told.stdout).toContain(`model ${ambiguous}: rtdetr (80 classes, 300 queries) at 640x640`);
    expect(told.stdout).toMatch(/note: model check skipped: no reference answer for http:\/\/127\.0\.0\.1:9\/never\.mp4/);
  });
});
