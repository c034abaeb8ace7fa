// mp4 inspection: layout (is moov before mdat?), the video track's size, rate and frame count, its
// keyframes, and how many bytes of the file hold the first n frames. Only the moov box is parsed
// (with mp4box); the media data is never read.

import { open } from 'node:fs/promises';
import { createFile, Log, MP4BoxBuffer, type Movie, type Sample } from 'mp4box';
import { AutotuneError } from '../../errors.js';
import { moovBeforeMdat, readTopLevelBoxes, topLevelBoxes, type TopLevelBox } from './boxes.js';

Log.setLogLevel(Log.error);

export interface Mp4Info {
  /** moov before mdat: the file decodes from a stream or a prefix. */
  faststart: boolean;
  moovOffset: number;
  moovSize: number;
  /** Offset of the first mdat box; null if the file has none (possible for a bare moov). */
  mdatOffset: number | null;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  durationS: number;
  /** RFC 6381 codec string, e.g. 'avc1.64001f'. */
  codec: string;
  /** Presentation-order indices (as ffmpeg outputs them) of the sync samples. */
  keyframes: number[];
  /**
   * Size of the shortest prefix of the file holding every sample needed to decode the first n frames
   * (presentation order; with B-frames that can include later samples in decode order).
   * Meaningful for prefix decoding only when `faststart` (the moov must be in the prefix too).
   */
  bytesForFrames(n: number): number;
}

export type Mp4PrefixInspection =
  | { status: 'ready'; info: Mp4Info; boxes: TopLevelBox[] }
  /** mdat comes first: no prefix of this file can be decoded. */
  | { status: 'moov-after-mdat'; boxes: TopLevelBox[] }
  /** moov starts in the prefix but ends after it (or has not started yet): `needBytes` are needed. */
  | { status: 'need-more'; needBytes: number | null; boxes: TopLevelBox[] }
  | { status: 'not-mp4'; boxes: TopLevelBox[] };

/** Inspects from the first bytes of a file only (e.g. a download in progress). */
export function inspectMp4Prefix(prefix: Uint8Array, options: { fileSize?: number } = {}): Mp4PrefixInspection {
  const boxes = topLevelBoxes(prefix, options);
  if (boxes.length === 0 || !isMp4Start(boxes)) return { status: 'not-mp4', boxes };
  const order = moovBeforeMdat(boxes);
  if (order === false) return { status: 'moov-after-mdat', boxes };
  const moov = boxes.find((b) => b.type === 'moov');
  if (!moov) {
    const last = boxes[boxes.length - 1];
    return { status: 'need-more', needBytes: last.size === null ? null : last.offset + last.size + 8, boxes };
  }
  const moovEnd = moov.offset + (moov.size ?? Infinity);
  if (moov.size === null || moovEnd > prefix.byteLength) {
    return { status: 'need-more', needBytes: moov.size === null ? null : moovEnd, boxes };
  }
  const info = parseMoov(prefix.subarray(moov.offset, moovEnd), boxes, 'prefix');
  return { status: 'ready', info, boxes };
}

/** Inspects a whole file (reads its box headers and the moov only) or a whole file in memory. */
export async function inspectMp4(input: string | Uint8Array, options: { fileSize?: number } = {}): Promise<Mp4Info> {
  if (typeof input !== 'string') {
    const result = inspectMp4Prefix(input, options);
    if (result.status === 'ready') return result.info;
    throw new AutotuneError('E_INPUT', `mp4 buffer of ${input.byteLength} bytes has no complete moov atom (${result.status})`, {
      hint: 'pass the whole file, or use inspectMp4Prefix for a prefix',
      context: { status: result.status },
    });
  }
  let walk;
  try {
    walk = await readTopLevelBoxes(input);
  } catch (cause) {
    throw new AutotuneError('E_INPUT', `cannot read ${input}: ${(cause as Error).message}`, {
      hint: 'check the path',
      cause,
    });
  }
  const moov = walk.boxes.find((b) => b.type === 'moov');
  if (!isMp4Start(walk.boxes) || !moov || moov.size === null || moov.offset + moov.size > walk.fileSize) {
    throw new AutotuneError('E_INPUT', `${input} is not a complete mp4 (no whole moov atom among ${describe(walk.boxes)})`, {
      hint: 'the file may be truncated or not an mp4; download it again',
      context: { path: input, boxes: walk.boxes },
    });
  }
  const handle = await open(input, 'r');
  try {
    const bytes = Buffer.alloc(moov.size);
    await handle.read(bytes, 0, moov.size, moov.offset);
    return parseMoov(bytes, walk.boxes, input);
  } finally {
    await handle.close();
  }
}

/** How many frames (in display order) have every byte they need within the first `bytes` of the file. */
export function framesWithin(info: Pick<Mp4Info, 'frameCount' | 'bytesForFrames'>, bytes: number): number {
  let whole = 0;
  for (let lo = 0, hi = info.frameCount; lo <= hi; ) {
    const mid = (lo + hi) >> 1;
    if (info.bytesForFrames(mid) <= bytes) {
      whole = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return whole;
}

/** Frames in the video, from the container's sample table. */
export async function countFrames(path: string): Promise<number> {
  return (await inspectMp4(path)).frameCount;
}

function isMp4Start(boxes: readonly TopLevelBox[]): boolean {
  return ['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'styp'].includes(boxes[0]?.type ?? '');
}

function describe(boxes: readonly TopLevelBox[]): string {
  return boxes.length ? boxes.map((b) => b.type).join(', ') : 'no boxes';
}

// Parses a moov box on its own: sample offsets in its tables are absolute file offsets, so nothing
// else of the file is needed. mp4box wants an ftyp first; a minimal one is put in front.
const MINIMAL_FTYP = Uint8Array.from([0, 0, 0, 20, ...ascii('ftyp'), ...ascii('isom'), 0, 0, 2, 0, ...ascii('isom')]);

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

function parseMoov(moovBytes: Uint8Array, boxes: readonly TopLevelBox[], label: string): Mp4Info {
  const file = createFile();
  let movie: Movie | undefined;
  let parseError: string | undefined;
  file.onReady = (m) => {
    movie = m;
  };
  file.onError = (module, message) => {
    parseError = `${module}: ${message}`;
  };
  const copy = new ArrayBuffer(MINIMAL_FTYP.byteLength + moovBytes.byteLength);
  new Uint8Array(copy).set(MINIMAL_FTYP);
  new Uint8Array(copy).set(moovBytes, MINIMAL_FTYP.byteLength);
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy, 0));
  file.flush();
  const track = movie?.tracks.find((t) => t.video);
  if (!movie || !track?.video) {
    throw new AutotuneError('E_INPUT', `${label}: the moov atom has no video track${parseError ? ` (${parseError})` : ''}`, {
      hint: 'use an mp4 with an H.264/H.265 video track',
    });
  }
  const samples = file.getTrackSamplesInfo(track.id);
  const moov = boxes.find((b) => b.type === 'moov')!;
  const mdat = boxes.find((b) => b.type === 'mdat');
  const durationS = track.duration / track.timescale;
  const frameCount = samples.length;
  const { presentationRank, bytesForFrames } = sampleLayout(samples);
  return {
    faststart: moovBeforeMdat(boxes) === true,
    moovOffset: moov.offset,
    moovSize: moov.size ?? moovBytes.byteLength,
    mdatOffset: mdat?.offset ?? null,
    width: track.video.width,
    height: track.video.height,
    fps: durationS > 0 ? frameCount / durationS : 0,
    frameCount,
    durationS,
    codec: track.codec,
    keyframes: samples
      .map((s, i) => (s.is_sync ? presentationRank[i] : -1))
      .filter((r) => r >= 0)
      .sort((a, b) => a - b),
    bytesForFrames,
  };
}

// Samples come in decode order. Displaying frame k needs every sample up to the latest decode
// position among display frames 0..k; a prefix must reach the end of the furthest of those.
function sampleLayout(samples: readonly Sample[]) {
  const byPresentation = samples.map((s, i) => ({ cts: s.cts, i })).sort((a, b) => a.cts - b.cts || a.i - b.i);
  const presentationRank = new Array<number>(samples.length);
  byPresentation.forEach((p, rank) => {
    presentationRank[p.i] = rank;
  });
  const endUpToDecode = new Array<number>(samples.length);
  let maxEnd = 0;
  samples.forEach((s, i) => {
    maxEnd = Math.max(maxEnd, s.offset + s.size);
    endUpToDecode[i] = maxEnd;
  });
  const bytesForDisplay = new Array<number>(samples.length);
  let maxDecode = -1;
  byPresentation.forEach((p, rank) => {
    maxDecode = Math.max(maxDecode, p.i);
    bytesForDisplay[rank] = endUpToDecode[maxDecode];
  });
  const bytesForFrames = (n: number): number => {
    if (!(n > 0)) return 0;
    return bytesForDisplay[Math.min(n, samples.length) - 1];
  };
  return { presentationRank, bytesForFrames };
}
