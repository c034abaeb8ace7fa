// The benchmark's inputs: the lab model and the lab clips, made once and reused by later runs.
// Clips live in samples/bench/<W>x<H>-<frames>f-<fps>fps/match-<seed>.mp4 (+ .truth.json); each is
// made in a temp folder and renamed into place, so an interrupted run never leaves half a clip.

import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeClip } from '../../src/lab/clips/index.js';
import { makeLabDetector } from '../../src/lab/model/index.js';

export interface BenchClip {
  name: string;
  path: string;
  truthPath: string;
  bytes: number;
}

export async function ensureModel(path: string, say: (line: string) => void): Promise<void> {
  if (existsSync(path)) return;
  say(`making the lab model at ${path}...`);
  const made = await makeLabDetector({ out: path });
  say(`  ${made.bytes} bytes, ${(made.macsAt640 / 1e9).toFixed(2)} GMAC per image at 640`);
}

export async function ensureClips(
  o: { frames: number; clips: number; width: number; height: number; fps: number },
  say: (line: string) => void,
): Promise<{ dir: string; clips: BenchClip[] }> {
  const dir = join('samples', 'bench', `${o.width}x${o.height}-${o.frames}f-${o.fps}fps`);
  await mkdir(dir, { recursive: true });
  const clips: BenchClip[] = [];
  for (let seed = 1; seed <= o.clips; seed++) {
    const name = `match-${seed}`;
    const path = join(dir, `${name}.mp4`);
    const truthPath = join(dir, `${name}.truth.json`);
    if (!existsSync(path) || !existsSync(truthPath)) {
      say(`making lab clip ${path} (${o.width}x${o.height}, ${o.frames} frames, seed ${seed})...`);
      const tmp = join(dir, `.tmp-${name}-${process.pid}`);
      try {
        const made = await makeClip({ seed, frames: o.frames, width: o.width, height: o.height, fps: o.fps, outDir: tmp, name });
        await rename(made.truthPath, truthPath);
        await rename(made.path, path);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    clips.push({ name: `${name}.mp4`, path, truthPath, bytes: statSync(path).size });
  }
  return { dir, clips };
}
