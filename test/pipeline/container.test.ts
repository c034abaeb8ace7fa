import { readFile, stat, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  countFrames,
  inspectMp4,
  inspectMp4Prefix,
  readTopLevelBoxes,
  topLevelBoxes,
} from '../../src/pipeline/container/index.js';
import { isAutotuneError } from '../../src/errors.js';
import { testClip } from './decode-fixtures.js';
import { execa } from 'execa';
import { resolveFfmpeg } from '../../src/util/ffmpeg.js';

async function ffmpegKeyframes(path: string): Promise<number[]> {
  const run = await execa(resolveFfmpeg().path, ['-hide_banner', '-nostdin', '-i', path, '-vf', 'showinfo', '-f', 'null', '-']);
  return [...run.stderr.matchAll(/n:\s*(\d+) .*iskey:1/g)].map((m) => Number(m[1]));
}

let faststart: string;
let moovEnd: string;

beforeAll(async () => {
  [faststart, moovEnd] = await Promise.all([testClip(), testClip({ faststart: false })]);
});

describe('topLevelBoxes', () => {
  it('walks a buffer and a file to the same boxes', async () => {
    const bytes = await readFile(faststart);
    const fromBuffer = topLevelBoxes(bytes);
    const fromFile = await readTopLevelBoxes(faststart);
    expect(fromBuffer).toEqual(fromFile.boxes);
    expect(fromBuffer.map((b) => b.type)).toEqual(expect.arrayContaining(['ftyp', 'moov', 'mdat']));
    const last = fromBuffer[fromBuffer.length - 1];
    expect(last.offset + (last.size ?? 0)).toBe(bytes.length);
  });

  it('reports a box that runs past a prefix and reads 64-bit sizes', () => {
    const box = (type: string, size: number) => {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(size);
      b.write(type, 4, 'latin1');
      return b;
    };
    const large = Buffer.alloc(16);
    large.writeUInt32BE(1);
    large.write('mdat', 4, 'latin1');
    large.writeBigUInt64BE(5_000_000_000n, 8);
    const prefix = Buffer.concat([box('ftyp', 16), Buffer.alloc(8), large, Buffer.alloc(100)]);
    expect(topLevelBoxes(prefix)).toEqual([
      { type: 'ftyp', offset: 0, size: 16, headerSize: 8 },
      { type: 'mdat', offset: 16, size: 5_000_000_000, headerSize: 16 },
    ]);
    expect(topLevelBoxes(Buffer.from([0, 0, 0, 3, 0x66, 0x74, 0x79, 0x70]))).toEqual([]); // size below a header
    expect(topLevelBoxes(Buffer.from([0, 0, 0, 16, 0x66]))).toEqual([]);
  });
});

describe('inspectMp4', () => {
  it('reads the layout and the video track of a faststart file', async () => {
    const info = await inspectMp4(faststart);
    expect(info).toMatchObject({ faststart: true, width: 320, height: 180, fps: 25, frameCount: 30, durationS: 1.2 });
    expect(info.codec).toMatch(/^avc1\./);
    expect(info.moovOffset).toBeLessThan(info.mdatOffset!);
    expect(info.keyframes[0]).toBe(0);
    expect(info.keyframes).toEqual(await ffmpegKeyframes(faststart)); // output-order indices, as ffmpeg numbers them
    expect(info.keyframes.length).toBeGreaterThan(1); // the clip is made with -g 12
  });

  it('sees moov after mdat in a moov-at-end file', async () => {
    const info = await inspectMp4(moovEnd);
    expect(info.faststart).toBe(false);
    expect(info.moovOffset).toBeGreaterThan(info.mdatOffset!);
    expect(info.frameCount).toBe(30);
  });

  it('gives prefix sizes per frame that grow and fit in the file', async () => {
    const info = await inspectMp4(faststart);
    const size = (await stat(faststart)).size;
    expect(info.bytesForFrames(0)).toBe(0);
    let previous = 0;
    for (let n = 1; n <= info.frameCount; n++) {
      const bytes = info.bytesForFrames(n);
      expect(bytes).toBeGreaterThanOrEqual(previous);
      expect(bytes).toBeLessThanOrEqual(size);
      expect(bytes).toBeGreaterThan(info.mdatOffset!);
      previous = bytes;
    }
    expect(info.bytesForFrames(info.frameCount)).toBeGreaterThan(info.bytesForFrames(1));
    expect(info.bytesForFrames(1000)).toBe(info.bytesForFrames(info.frameCount));
  });

  it('inspects a buffer like the file', async () => {
    const fromPath = await inspectMp4(faststart);
    const fromBuffer = await inspectMp4(await readFile(faststart));
    expect({ ...fromBuffer, bytesForFrames: null }).toEqual({ ...fromPath, bytesForFrames: null });
  });

  it('counts frames', async () => {
    expect(await countFrames(faststart)).toBe(30);
    expect(await countFrames(await testClip({ frames: 31 }))).toBe(31);
  });

  it('refuses a file without a moov with a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autotune-container-'));
    const truncated = join(dir, 'truncated.mp4');
    await writeFile(truncated, (await readFile(moovEnd)).subarray(0, 100_000));
    const error = await inspectMp4(truncated).catch((e: unknown) => e);
    expect(isAutotuneError(error, 'E_INPUT')).toBe(true);
    expect((error as Error).message).toContain('truncated.mp4 is not a complete mp4');
    await expect(inspectMp4(join(dir, 'missing.mp4'))).rejects.toThrow(/cannot read/);
  });
});

describe('inspectMp4Prefix', () => {
  it('is ready from the first bytes of a faststart file', async () => {
    const bytes = await readFile(faststart);
    const full = await inspectMp4(faststart);
    const moovEndAt = full.moovOffset + full.moovSize;
    const ready = inspectMp4Prefix(bytes.subarray(0, moovEndAt));
    expect(ready.status).toBe('ready');
    if (ready.status === 'ready') {
      expect(ready.info.frameCount).toBe(30);
      expect(ready.info.faststart).toBe(true);
      expect(ready.info.bytesForFrames(7)).toBe(full.bytesForFrames(7));
    }
    expect(inspectMp4Prefix(bytes.subarray(0, moovEndAt - 1))).toMatchObject({ status: 'need-more', needBytes: moovEndAt });
  });

  it('says moov-after-mdat from the first bytes of a moov-at-end file', async () => {
    const bytes = await readFile(moovEnd);
    expect(inspectMp4Prefix(bytes.subarray(0, 4096)).status).toBe('moov-after-mdat');
    expect(inspectMp4Prefix(Buffer.alloc(4096, 3)).status).toBe('not-mp4');
  });
});
