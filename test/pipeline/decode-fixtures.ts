// Tiny H.264 test clips made with ffmpeg directly (testsrc plus noise so the bytes spread over the
// file like a real video), cached under .cache/decode-fixtures/ and shared by vitest workers.

import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveFfmpeg } from '../../src/util/ffmpeg.js';

export interface TestClipOptions {
  width?: number;
  height?: number;
  frames?: number;
  /** moov before mdat (default true). */
  faststart?: boolean;
}

const dir = join(fileURLToPath(new URL('../..', import.meta.url)), '.cache', 'decode-fixtures');

export async function testClip(options: TestClipOptions = {}): Promise<string> {
  const o = { width: 320, height: 180, frames: 30, faststart: true, ...options };
  const path = join(dir, `testsrc-${o.width}x${o.height}-${o.frames}f${o.faststart ? '-faststart' : '-moovend'}.mp4`);
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.mp4`;
  await execa(resolveFfmpeg().path, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=${o.width}x${o.height}:rate=25`,
    '-frames:v', String(o.frames),
    '-vf', 'noise=alls=20:allf=t',
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-g', '12', '-pix_fmt', 'yuv420p',
    ...(o.faststart ? ['-movflags', '+faststart'] : []),
    tmp,
  ]);
  await rename(tmp, path);
  return path;
}
