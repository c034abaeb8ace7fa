import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTruth, topLevelBoxes, type Truth, type TruthObject } from '../../src/lab/clips/index.js';
import { KITS, PITCH, SIZES_AT_720P, type Rgb } from '../../src/lab/scene/palette.js';
import { resolveFfmpeg } from '../../src/util/ffmpeg.js';
import { runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';

/** Decoded frame count, from one md5 line per frame. */
async function decodedFrames(path: string): Promise<number> {
  const { stdout } = await execa(resolveFfmpeg().path, ['-v', 'error', '-i', path, '-map', '0:v', '-f', 'framemd5', '-']);
  return stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
}

/** The given frames decoded to rgb24, in index order. */
async function decodeRgb(path: string, width: number, height: number, indices: number[]): Promise<Buffer[]> {
  const select = indices.map((n) => `eq(n\\,${n})`).join('+');
  const { stdout } = await execa(
    resolveFfmpeg().path,
    ['-v', 'error', '-i', path, '-vf', `select=${select}`, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer' },
  );
  const size = width * height * 3;
  expect(stdout.length).toBe(size * indices.length);
  return indices.map((_, i) => Buffer.from(stdout.subarray(i * size, (i + 1) * size)));
}

const TOLERANCE = 45;
const near = (a: Rgb, b: Rgb) => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2])) <= TOLERANCE;
const kitsOf = (classId: number) => KITS.filter((k) => k.classId === classId).map((k) => k.rgb);

function pixel(frame: Buffer, width: number, x: number, y: number): Rgb {
  const i = (y * width + x) * 3;
  return [frame[i]!, frame[i + 1]!, frame[i + 2]!];
}

describe('autotune samples make', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clips-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an mp4 that decodes to the asked number of frames, and a truth file for every frame', async () => {
    const run = await runCli(['samples', 'make', '--count', '1', '--frames', '50', '--size', '640x360', '--out', dir]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const clip = join(dir, 'match-1.mp4');
    expect(run.stdout).toContain(clip);
    expect(run.stdout).toMatch(/50 frames\s+640x360\s+[\d.]+ MB/);
    expect(await decodedFrames(clip)).toBe(50);
    const truth = await readTruth(join(dir, 'match-1.truth.json'));
    expect(truth).toMatchObject({ version: 1, width: 640, height: 360, fps: 25, frameCount: 50 });
    expect(truth.classes).toEqual(['ball', 'goalkeeper', 'player', 'referee']);
    expect(truth.frames.map((f) => f.frameNumber)).toEqual([...Array(50).keys()]);
    for (const f of truth.frames) expect(f.objects.length).toBeGreaterThan(5);
  });

  it('numbers clips from the seed and writes a moov-end variant when asked', async () => {
    const out = join(dir, 'two');
    const run = await runCli(['samples', 'make', '--count', '2', '--frames', '10', '--size', '320x180', '--seed', '5', '--moov-end', '--out', out]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    for (const name of ['match-5', 'match-6']) {
      expect(await decodedFrames(join(out, `${name}.mp4`))).toBe(10);
      expect(await decodedFrames(join(out, `${name}.moov-end.mp4`))).toBe(10);
    }
  });

  it.each([
    [['--size', '12x'], /--size "12x" is not WIDTHxHEIGHT/],
    [['--size', '641x360'], /--size 641x360 is not usable/],
    [['--frames', '0'], /--frames 0 is not a whole number/],
    [['--frames', 'many'], /--frames \(not a number\)/],
    [['--out', '/proc/autotune-x'], /--out \/proc\/autotune-x is not a writable folder/],
  ])('rejects %j with one line and a non-zero exit', async (args, message) => {
    const run = await runCli(['samples', 'make', '--frames', '5', '--size', '320x180', ...args]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });

  it('rejects an --out that is a file', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const run = await runCli(['samples', 'make', '--frames', '5', '--size', '320x180', '--out', file]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^autotune: --out \S+a-file is not a writable folder \(E[A-Z]+\) \(choose a folder/);
  });
});

describe('ground truth', () => {
  let truth: Truth;
  let frames: Buffer[];
  const W = 640;
  const H = 360;
  const sampled = [0, 17, 33, 49];

  beforeAll(async () => {
    const clip = await labClip({ frames: 50, width: W, height: H });
    truth = await readTruth(clip.truthPath);
    frames = await decodeRgb(clip.path, W, H, sampled);
  });

  const each = (fn: (frame: Buffer, o: TruthObject) => void) =>
    sampled.forEach((n, i) => truth.frames[n]!.objects.forEach((o) => fn(frames[i]!, o)));

  it('lists the whole cast: ball, goalkeepers, players and referees over the clip', () => {
    const classes = new Set(truth.frames.flatMap((f) => f.objects.map((o) => o.classId)));
    expect(classes).toContain(2);
    expect(classes).toContain(3);
    expect(classes).toContain(0);
    const players = truth.frames.map((f) => f.objects.filter((o) => o.classId === 2).length);
    expect(Math.max(...players)).toBeGreaterThanOrEqual(8);
  });

  it('boxes lie inside the frame and are not empty', () => {
    for (const f of truth.frames) {
      for (const { bbox: [x1, y1, x2, y2] } of f.objects) {
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(W);
        expect(y2).toBeLessThanOrEqual(H);
        expect(x2 - x1).toBeGreaterThanOrEqual(2);
        expect(y2 - y1).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('the colour at the centre of each box is the kit colour of its class', () => {
    let checked = 0;
    let matched = 0;
    each((frame, o) => {
      const [x1, y1, x2, y2] = o.bbox;
      const c = pixel(frame, W, Math.floor((x1 + x2) / 2), Math.floor((y1 + y2) / 2));
      checked++;
      if (kitsOf(o.classId).some((k) => near(c, k))) matched++;
    });
    expect(checked).toBeGreaterThan(40);
    // A box may be up to half hidden behind someone in front, so a few centres show another kit.
    expect(matched / checked).toBeGreaterThan(0.95);
  });

  it('the pixels just outside a player box are grass, not the kit', () => {
    let ring = 0;
    let kit = 0;
    let grass = 0;
    each((frame, o) => {
      if (o.classId !== 2) return;
      const [x1, y1, x2, y2] = o.bbox;
      const own = kitsOf(2);
      const around: [number, number][] = [];
      for (let y = y1 + 2; y < y2 - 2; y += 2) around.push([x1 - 3, y], [x2 + 2, y]);
      for (let x = x1; x < x2; x += 2) around.push([x, y2 + 2]);
      for (const [x, y] of around) {
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        const c = pixel(frame, W, x, y);
        ring++;
        if (own.some((k) => near(c, k))) kit++;
        if (near(c, PITCH.grassLight) || near(c, PITCH.grassDark)) grass++;
      }
    });
    expect(ring).toBeGreaterThan(500);
    expect(kit / ring).toBeLessThan(0.05);
    expect(grass / ring).toBeGreaterThan(0.9);
  });

  it('box edges are exact: one pixel inside is kit, three outside is not', () => {
    let rows = 0;
    let exact = 0;
    each((frame, o) => {
      if (o.classId === 0) return;
      const [x1, y1, x2, y2] = o.bbox;
      if (x1 < 3 || x2 > W - 3) return;
      const y = Math.floor((y1 + y2) / 2);
      const kits = kitsOf(o.classId);
      const isKit = (x: number) => kits.some((k) => near(pixel(frame, W, x, y), k));
      rows++;
      if (isKit(x1 + 1) && isKit(x2 - 2) && !isKit(x1 - 3) && !isKit(x2 + 2)) exact++;
    });
    expect(rows).toBeGreaterThan(40);
    expect(exact / rows).toBeGreaterThan(0.9);
  });

  it('player sizes follow SIZES_AT_720P scaled to the frame', () => {
    const s = H / 720;
    for (const f of truth.frames) {
      for (const { bbox: [x1, y1, x2, y2], classId } of f.objects) {
        if (classId === 0 || x1 === 0 || y1 === 0 || x2 === W || y2 === H) continue;
        expect(x2 - x1).toBeGreaterThanOrEqual(Math.round(SIZES_AT_720P.player.width[0] * s));
        expect(x2 - x1).toBeLessThanOrEqual(Math.round(SIZES_AT_720P.player.width[1] * s));
        expect(y2 - y1).toBeGreaterThanOrEqual(Math.round(SIZES_AT_720P.player.height[0] * s));
        expect(y2 - y1).toBeLessThanOrEqual(Math.round(SIZES_AT_720P.player.height[1] * s));
      }
    }
  });

  it('things move: the camera pans and boxes shift between frames', async () => {
    const clip = await labClip({ frames: 50, width: W, height: H });
    const [a, b] = await decodeRgb(clip.path, W, H, [10, 40]);
    let differing = 0;
    for (let i = 0; i < a!.length; i += 3 * 97) if (Math.abs(a![i + 1]! - b![i + 1]!) > 20) differing++;
    expect(differing).toBeGreaterThan(50);
    expect(truth.frames[10]!.objects).not.toEqual(truth.frames[40]!.objects);
  });
});
