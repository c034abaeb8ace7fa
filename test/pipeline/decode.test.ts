import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectMp4 } from '../../src/pipeline/container/index.js';
import { startDecoder, type Decoder, type DecodeOptions } from '../../src/pipeline/decode/index.js';
import { PAD_VALUE } from '../../src/pipeline/letterbox.js';
import { testClip } from './decode-fixtures.js';

const S = 320;

async function collect(decoder: Decoder) {
  const frames: Array<{ index: number; hash: string; length: number; data: Buffer }> = [];
  for await (const f of decoder.frames) {
    frames.push({ index: f.index, hash: createHash('sha1').update(f.data).digest('hex'), length: f.data.length, data: f.data });
  }
  return { frames, summary: await decoder.done, info: await decoder.info };
}

function decode(options: Omit<DecodeOptions, 'size'> & { size?: number }) {
  return collect(startDecoder({ size: S, ...options }));
}

function rowIsGrey(frame: Buffer, size: number, row: number): boolean {
  const start = row * size * 3;
  for (let i = start; i < start + size * 3; i++) if (frame[i] !== PAD_VALUE) return false;
  return true;
}

let faststart: string;
let moovEnd: string;
let tmp: string;

beforeAll(async () => {
  [faststart, moovEnd] = await Promise.all([testClip(), testClip({ faststart: false })]);
  tmp = await mkdtemp(join(tmpdir(), 'autotune-decode-'));
});

describe('decoding a file', () => {
  it('yields every frame as a letterboxed SxS rgb24 buffer with its index', async () => {
    const { frames, summary, info } = await decode({ input: { path: faststart } });
    expect(frames.map((f) => f.index)).toEqual([...Array(30).keys()]);
    for (const f of frames) expect(f.length).toBe(S * S * 3);
    expect(summary).toMatchObject({ framesOut: 30, exitCode: 0, error: null, stopped: null, moovMissing: false });
    expect(info).toMatchObject({ srcWidth: 320, srcHeight: 180, fps: 25, codec: 'h264', decoder: 'h264 (software)' });
    expect(info?.letterbox).toMatchObject({ width: 320, height: 180, padX: 0, padY: 70 });
  });

  it('pads with grey 114 above and below the image and nowhere inside it', async () => {
    const { frames } = await decode({ input: { path: faststart } });
    for (const f of [frames[0], frames[17]]) {
      for (const row of [0, 35, 69, 250, 285, 319]) expect(rowIsGrey(f.data, S, row), `row ${row}`).toBe(true);
      for (const row of [70, 160, 249]) expect(rowIsGrey(f.data, S, row), `row ${row}`).toBe(false);
    }
  });

  it('keeps an odd padding offset exact, with or without the source size given', async () => {
    const clip = await testClip({ width: 320, height: 190, frames: 3 }); // 190 rows into 320: padY = 65
    const computed = await decode({ input: { path: clip } });
    const given = await decode({ input: { path: clip }, srcWidth: 320, srcHeight: 190 });
    expect(computed.info?.letterbox.padY).toBe(65);
    expect(given.frames.map((f) => f.hash)).toEqual(computed.frames.map((f) => f.hash));
    const frame = computed.frames[0].data;
    expect(rowIsGrey(frame, S, 64)).toBe(true);
    expect(rowIsGrey(frame, S, 65)).toBe(false);
    expect(rowIsGrey(frame, S, 65 + 189)).toBe(false);
    expect(rowIsGrey(frame, S, 65 + 190)).toBe(true);
  });

  it('scales down to a smaller square', async () => {
    const { frames, info } = await decode({ input: { path: faststart }, size: 96 });
    expect(frames).toHaveLength(30);
    expect(frames[0].length).toBe(96 * 96 * 3);
    expect(info?.letterbox).toMatchObject({ width: 96, height: 54, padY: 21 });
    expect(rowIsGrey(frames[0].data, 96, 20)).toBe(true);
    expect(rowIsGrey(frames[0].data, 96, 21)).toBe(false);
  });
});

describe('stride', () => {
  it('keeps every third frame and carries the video frame index', async () => {
    const clip = await testClip({ frames: 31 });
    const all = await decode({ input: { path: clip } });
    const third = await decode({ input: { path: clip }, stride: 3 });
    expect(third.frames.map((f) => f.index)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(third.summary.framesOut).toBe(Math.ceil(31 / 3));
    for (const f of third.frames) expect(f.hash).toBe(all.frames[f.index].hash);
  });
});

describe('decoding a stream', () => {
  it('gives the same frames as the file', async () => {
    const file = await decode({ input: { path: faststart } });
    const stream = await decode({ input: { stream: createReadStream(faststart) } });
    expect(stream.frames.map((f) => f.hash)).toEqual(file.frames.map((f) => f.hash));
    expect(stream.summary.bytesIn).toBe((await readFile(faststart)).length);
    expect(stream.summary.error).toBeNull();
  });

  it('decodes the frames a prefix holds, without failing', async () => {
    const meta = await inspectMp4(faststart);
    const k = meta.bytesForFrames(10);
    const cut = await decode({ input: { stream: createReadStream(faststart, { end: k - 1 }) } });
    expect(cut.summary.error).toBeNull();
    expect(cut.frames.length).toBeGreaterThanOrEqual(10);
    expect(cut.frames.length).toBeLessThan(30);
    expect(cut.frames.map((f) => f.index)).toEqual([...Array(cut.frames.length).keys()]);
  });

  it('decodes a prefix saved to a file the same way', async () => {
    const meta = await inspectMp4(faststart);
    const prefixPath = join(tmp, 'prefix.mp4');
    await writeFile(prefixPath, (await readFile(faststart)).subarray(0, meta.bytesForFrames(20)));
    const cut = await decode({ input: { path: prefixPath }, prefix: true });
    expect(cut.summary.error).toBeNull();
    expect(cut.frames.length).toBeGreaterThanOrEqual(20);
    expect(cut.frames.length).toBeLessThan(30);
  });

  it('fails a moov-at-end video from a stream with the moov reason, and decodes it from the file', async () => {
    const stream = await decode({ input: { stream: createReadStream(moovEnd) }, label: 'http://lab/clip.mp4' });
    expect(stream.frames).toHaveLength(0);
    expect(stream.summary.moovMissing).toBe(true);
    expect(stream.summary.error?.reason).toBe('moov-not-in-prefix');
    expect(stream.summary.error?.message).toContain('http://lab/clip.mp4: moov atom is after mdat');
    expect(stream.summary.error?.message).toContain('full download to a file');

    const file = await decode({ input: { path: moovEnd } });
    expect(file.frames).toHaveLength(30);
    expect(file.summary.error).toBeNull();
  });

  it('fails a prefix of a moov-at-end file with the moov reason, a full file without moov with decode', async () => {
    const prefixPath = join(tmp, 'moov-end-prefix.mp4');
    await writeFile(prefixPath, (await readFile(moovEnd)).subarray(0, 200_000));
    const asPrefix = await decode({ input: { path: prefixPath }, prefix: true });
    expect(asPrefix.summary.error?.reason).toBe('moov-not-in-prefix');
    expect(asPrefix.summary.error?.message).toContain('moov atom is after mdat');
    const asFile = await decode({ input: { path: prefixPath } });
    expect(asFile.summary.error?.reason).toBe('decode');
    expect(asFile.summary.moovMissing).toBe(true);
  });

  it('says when a stream ends inside the moov', async () => {
    const meta = await inspectMp4(faststart);
    const cut = await decode({ input: { stream: createReadStream(faststart, { end: meta.moovOffset + 100 }) } });
    expect(cut.summary.error?.reason).toBe('moov-not-in-prefix');
    expect(cut.summary.error?.message).toMatch(/ended inside the moov atom .*larger prefix/);
  });

  it('reports input that is not a video as a decode failure', async () => {
    const junk = join(tmp, 'junk.mp4');
    await writeFile(junk, Buffer.alloc(50_000, 7));
    const { frames, summary } = await decode({ input: { path: junk } });
    expect(frames).toHaveLength(0);
    expect(summary.error?.reason).toBe('decode');
    expect(summary.error?.message).toContain(junk);
  });

  it('reports an ffmpeg that cannot be started as a decode failure', async () => {
    const missing = { path: join(tmp, 'no-ffmpeg-here'), source: 'FFMPEG_PATH' as const };
    const { frames, summary, info } = await decode({ input: { path: faststart }, ffmpeg: missing });
    expect(frames).toHaveLength(0);
    expect(info).toBeNull();
    expect(summary.error?.reason).toBe('decode');
    expect(summary.error?.message).toContain(`could not run ${missing.path}`);
  });
});

describe('stopping early', () => {
  it('stop() ends the frames with fewer frames and no error', async () => {
    const decoder = startDecoder({ input: { path: faststart }, size: S, readAheadFrames: 2 });
    const seen: number[] = [];
    for await (const f of decoder.frames) {
      seen.push(f.index);
      if (seen.length === 5) decoder.stop();
    }
    const summary = await decoder.done;
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(summary.stopped).toBe('stop');
    expect(summary.error).toBeNull();
    expect(summary.framesOut).toBeLessThan(30);
  });

  it('leaving the loop stops ffmpeg', async () => {
    const decoder = startDecoder({ input: { stream: createReadStream(faststart) }, size: S, readAheadFrames: 2 });
    for await (const f of decoder.frames) if (f.index === 2) break;
    const summary = await decoder.done;
    expect(summary.stopped).toBe('stop');
    expect(summary.framesOut).toBeLessThan(30);
  });

  it('an abort signal stops it', async () => {
    const controller = new AbortController();
    const decoder = startDecoder({ input: { path: faststart }, size: S, readAheadFrames: 2, signal: controller.signal });
    let n = 0;
    for await (const _ of decoder.frames) if (++n === 3) controller.abort();
    expect(n).toBe(3);
    expect(await decoder.done).toMatchObject({ stopped: 'abort', error: null });
  });

  it('holds at most the read-ahead frames while the consumer waits', async () => {
    const decoder = startDecoder({ input: { path: faststart }, size: S, readAheadFrames: 3 });
    const iterator = decoder.frames[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((r) => setTimeout(r, 500));
    const { framesOut, queued } = decoder.stats();
    expect(queued).toBeLessThanOrEqual(3);
    expect(framesOut).toBeLessThanOrEqual(3 + 2); // one delivered, the queue, one in flight
    await iterator.return?.();
    expect((await decoder.done).stopped).toBe('stop');
  });
});

describe('options', () => {
  it('rejects bad options with a message naming the option', () => {
    expect(() => startDecoder({ input: { path: faststart }, size: 0 })).toThrow(/size/);
    expect(() => startDecoder({ input: { path: faststart }, size: S, stride: 1.5 })).toThrow(/stride/);
    expect(() => startDecoder({ input: { path: faststart }, size: S, srcWidth: 320 })).toThrow(/srcWidth/);
  });

  it('works from a copy with an odd name', async () => {
    const odd = join(tmp, 'a clip, with spaces.mp4');
    await copyFile(faststart, odd);
    const { frames } = await decode({ input: { path: odd } });
    expect(frames).toHaveLength(30);
  });
});
