import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAutotuneError } from '../../src/errors.js';
import { isFaststart, makeClip, readTruth, simulateTruth, topLevelBoxes } from '../../src/lab/clips/index.js';
import { labClip } from '../helpers/lab-fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('clip container and size', () => {
  it('the normal clip is faststart (moov before mdat); the moov-end variant has moov after mdat', async () => {
    const clip = await labClip({ moovEnd: true });
    const normal = (await topLevelBoxes(clip.path)).map((b) => b.type);
    const late = (await topLevelBoxes(clip.moovEndPath!)).map((b) => b.type);
    expect(normal.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(normal.indexOf('moov')).toBeLessThan(normal.indexOf('mdat'));
    expect(late.indexOf('moov')).toBeGreaterThan(late.indexOf('mdat'));
    expect(late.indexOf('mdat')).toBeGreaterThanOrEqual(0);
    expect(await isFaststart(clip.path)).toBe(true);
    expect(await isFaststart(clip.moovEndPath!)).toBe(false);
  });

  it('box sizes add up to the file size', async () => {
    const clip = await labClip();
    const boxes = await topLevelBoxes(clip.path);
    expect(boxes[0]!.type).toBe('ftyp');
    expect(boxes.reduce((sum, b) => sum + b.size, 0)).toBe(clip.bytes);
  });

  it('a 1280x720 clip has a realistic bitrate: 11-19 MB per 30 s', async () => {
    const clip = await labClip({ width: 1280, height: 720, frames: 50 });
    const seconds = clip.frames / clip.fps;
    const per30s = (clip.bytes / seconds) * 30;
    expect(per30s).toBeGreaterThan(11e6);
    expect(per30s).toBeLessThan(19e6);
  });
});

describe('determinism', () => {
  const base = { frames: 40, width: 320, height: 180, fps: 25 };

  it('the same seed gives the same truth; another seed a different one', () => {
    const a = simulateTruth({ ...base, seed: 3 });
    expect(simulateTruth({ ...base, seed: 3 })).toEqual(a);
    expect(simulateTruth({ ...base, seed: 4 })).not.toEqual(a);
  });

  it('the same seed gives byte-identical files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clips-det-'));
    try {
      // 640x360 x 30 frames is enough for x264 frame threading to have shown run-to-run differences.
      const same = { ...base, width: 640, height: 360, frames: 30, seed: 9 };
      const one = await makeClip({ ...same, outDir: join(dir, 'a') });
      const two = await makeClip({ ...same, outDir: join(dir, 'b') });
      expect(await sha(two.truthPath)).toBe(await sha(one.truthPath));
      expect(await sha(two.path)).toBe(await sha(one.path));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the truth file matches the simulation', async () => {
    const clip = await labClip({ width: 320, height: 180, moovEnd: true });
    const file = JSON.parse(await readFile(clip.truthPath, 'utf8'));
    expect(file.frames.map((f: { objects: unknown }) => f.objects)).toEqual(
      simulateTruth({ frames: 50, width: 320, height: 180, fps: 25, seed: 1 }).map((f) => f.objects),
    );
  });
});

describe('readTruth', () => {
  it('rejects a truth file whose frames are not numbered 0..n-1, naming the file and the field', async () => {
    const clip = await labClip();
    const truth = JSON.parse(await readFile(clip.truthPath, 'utf8'));
    truth.frames[3].frameNumber = 7;
    const dir = await mkdtemp(join(tmpdir(), 'truth-'));
    try {
      const bad = join(dir, 'bad.truth.json');
      await writeFile(bad, JSON.stringify(truth));
      const err = await readTruth(bad).catch((e: unknown) => e);
      expect(isAutotuneError(err, 'E_INPUT')).toBe(true);
      expect((err as Error).message).toContain(bad);
      expect((err as Error).message).toContain('frames[3].frameNumber');
      await writeFile(bad, '{"version":1');
      expect(isAutotuneError(await readTruth(bad).catch((e: unknown) => e), 'E_INPUT')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('labClip fixture', () => {
  const seed = 424242;
  const dirs = () => readdirSync(join(root, '.cache', 'fixtures')).filter((d) => d.includes(`seed${seed}-`) || d.includes(`seed${seed}`));
  let made: string[] = [];

  beforeAll(async () => {
    if (existsSync(join(root, '.cache', 'fixtures'))) {
      for (const d of dirs()) await rm(join(root, '.cache', 'fixtures', d), { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    for (const d of dirs()) await rm(join(root, '.cache', 'fixtures', d), { recursive: true, force: true });
  });

  it('two processes asking at once get one complete clip', async () => {
    const code = `import { labClip } from './test/helpers/lab-fixtures.ts';
const c = await labClip({ frames: 8, width: 320, height: 180, seed: ${seed} });
process.stdout.write(c.path);`;
    const runs = await Promise.all(
      [0, 1].map(() => execa('node', ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root })),
    );
    made = runs.map((r) => r.stdout);
    expect(made[0]).toBe(made[1]);
    expect(existsSync(made[0]!)).toBe(true);
    expect(dirs()).toHaveLength(1);
    const again = await labClip({ frames: 8, width: 320, height: 180, seed });
    expect(again.path).toBe(made[0]);
    expect(again.bytes).toBeGreaterThan(1000);
  });
});
