// Lab clips for tests, made once and cached under .cache/fixtures/<key>/. The key covers the options
// and a hash of the clip generator's source, so a change to the scene makes fresh fixtures.
// Safe across vitest worker processes: each builds in its own temp folder and renames it into place;
// a loser of the race throws its copy away and uses the winner's.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeClip, type ClipInfo } from '../../src/lab/clips/index.js';

export interface LabClipOptions {
  frames?: number;
  width?: number;
  height?: number;
  fps?: number;
  seed?: number;
  moovEnd?: boolean;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixturesDir = join(root, '.cache', 'fixtures');
const NAME = 'clip';

/** A cached lab clip (default 640x360, 50 frames, 25 fps, seed 1) with its truth file. */
export async function labClip(options: LabClipOptions = {}): Promise<ClipInfo> {
  const o = { frames: 50, width: 640, height: 360, fps: 25, seed: 1, moovEnd: false, ...options };
  const key = `${o.width}x${o.height}-${o.frames}f-${o.fps}fps-seed${o.seed}${o.moovEnd ? '-moovend' : ''}-${generatorHash()}`;
  const dir = join(fixturesDir, key);
  if (!isComplete(dir, o.moovEnd)) {
    await mkdir(fixturesDir, { recursive: true });
    const tmp = join(fixturesDir, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await makeClip({ ...o, outDir: tmp, name: NAME });
      await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
        // Another worker got there first (the target exists and is not empty): use theirs.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  const path = join(dir, `${NAME}.mp4`);
  return {
    path,
    truthPath: join(dir, `${NAME}.truth.json`),
    ...(o.moovEnd ? { moovEndPath: join(dir, `${NAME}.moov-end.mp4`) } : {}),
    frames: o.frames,
    width: o.width,
    height: o.height,
    fps: o.fps,
    bytes: statSync(path).size,
  };
}

function isComplete(dir: string, moovEnd: boolean): boolean {
  return (
    existsSync(join(dir, `${NAME}.mp4`)) &&
    existsSync(join(dir, `${NAME}.truth.json`)) &&
    (!moovEnd || existsSync(join(dir, `${NAME}.moov-end.mp4`)))
  );
}

let hash: string | undefined;

function generatorHash(): string {
  if (hash) return hash;
  const h = createHash('sha1');
  const clipsDir = join(root, 'src', 'lab', 'clips');
  for (const file of readdirSync(clipsDir).sort()) h.update(file).update(readFileSync(join(clipsDir, file)));
  h.update(readFileSync(join(root, 'src', 'lab', 'scene', 'palette.ts')));
  hash = h.digest('hex').slice(0, 10);
  return hash;
}
