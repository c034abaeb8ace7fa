import { execa } from 'execa';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAutotuneError } from '../../src/errors.js';
import { probeFfmpeg, resolveFfmpeg } from '../../src/util/ffmpeg.js';

// A stand-in ffmpeg: a shell script that answers like a build with CUDA decoders.
const FAKE = `#!/bin/sh
case "$*" in
  *-version*) echo "ffmpeg version 9.9-fake Copyright (c) the fakers"; echo "built with nothing";;
  *-hwaccels*) printf 'Hardware acceleration methods:\\ncuda\\nvaapi\\n\\n';;
  *-decoders*) echo " V..... h264_cuvid           Nvidia CUVID H264 decoder (codec h264)";;
esac
`;

describe('resolveFfmpeg', () => {
  let dir: string;
  let fakeDir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ffmpeg-'));
    fakeDir = join(dir, 'bin');
    await execa('mkdir', ['-p', fakeDir]);
    await writeFile(join(fakeDir, 'ffmpeg'), FAKE);
    await chmod(join(fakeDir, 'ffmpeg'), 0o755);
    await writeFile(join(dir, 'not-executable'), 'plain text');
    await chmod(join(dir, 'not-executable'), 0o644);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects an FFMPEG_PATH that is not an executable file', () => {
    for (const path of [join(dir, 'not-executable'), join(dir, 'missing')]) {
      let thrown: unknown;
      try {
        resolveFfmpeg({ FFMPEG_PATH: path, PATH: fakeDir });
      } catch (err) {
        thrown = err;
      }
      expect(isAutotuneError(thrown, 'E_FFMPEG_MISSING')).toBe(true);
      expect((thrown as Error).message).toContain(path);
    }
  });

  it('FFMPEG_PATH wins over PATH', () => {
    const npmBinary = resolveFfmpeg({ PATH: '' }).path;
    expect(resolveFfmpeg({ FFMPEG_PATH: npmBinary, PATH: fakeDir })).toEqual({ path: npmBinary, source: 'FFMPEG_PATH' });
  });

  it('prefers an ffmpeg on PATH over the npm one, in PATH order, skipping non-executables', async () => {
    const shadow = join(dir, 'shadow');
    await execa('mkdir', ['-p', shadow]);
    await writeFile(join(shadow, 'ffmpeg'), 'not executable');
    await chmod(join(shadow, 'ffmpeg'), 0o644);
    const found = resolveFfmpeg({ PATH: `/nonexistent:${shadow}:${fakeDir}:${process.env.PATH ?? ''}` });
    expect(found).toEqual({ path: join(fakeDir, 'ffmpeg'), source: 'PATH' });
  });

  it('falls back to the npm-shipped binary when PATH has none, and it runs', async () => {
    const found = resolveFfmpeg({ PATH: '' });
    expect(found.source).toBe('npm');
    expect(found.path).toMatch(/ffmpeg$/);
    const { stdout } = await execa(found.path, ['-hide_banner', '-version']);
    expect(stdout).toMatch(/^ffmpeg version /);
  });
});

describe('probeFfmpeg', () => {
  it('reports the version and hardware accelerations of the resolved binary', async () => {
    const info = await probeFfmpeg();
    expect(info.version).not.toBe('unknown');
    expect(info.version).toMatch(/\d/);
    expect(Array.isArray(info.hwaccels)).toBe(true);
    expect(info.hwaccels.every((h) => /^[a-z0-9_]+$/.test(h))).toBe(true);
    expect(typeof info.decoders.h264_cuvid).toBe('boolean');
  });

  it('parses what a binary prints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ffmpeg-probe-'));
    try {
      const path = join(dir, 'ffmpeg');
      await writeFile(path, FAKE);
      await chmod(path, 0o755);
      const info = await probeFfmpeg({ path, source: 'PATH' });
      expect(info).toEqual({
        path,
        source: 'PATH',
        version: '9.9-fake',
        hwaccels: ['cuda', 'vaapi'],
        decoders: { h264_cuvid: true, hevc_cuvid: false },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
