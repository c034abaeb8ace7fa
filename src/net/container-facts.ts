// The video's container facts from the bytes the probe downloaded: a prefix first; more of the file
// (the rest of a moov, or the tail that holds a moov stored after mdat) only when needed.
import { framesWithin, inspectMp4, inspectMp4Prefix, type Mp4Info } from '../pipeline/container/index.js';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageOf } from '../errors.js';
import type { VideoFacts } from './types.js';

/** A challenge has 750 frames (validator constant). */
export const CHALLENGE_FRAMES = 750;
/** Largest file the probe assembles in memory to reach a moov stored at the end. */
const MAX_ASSEMBLE_BYTES = 256 * 1024 * 1024;

export type FetchRange = (start: number, end: number) => Promise<Buffer>;

export async function videoFacts(prefix: Buffer, fileSize: number | null, fetchRange: FetchRange, frames: number): Promise<VideoFacts> {
  const empty = (error: string | null, faststart = false): VideoFacts => ({
    size: fileSize,
    faststart,
    moovOffset: null,
    mdatOffset: null,
    width: null,
    height: null,
    fps: null,
    frameCount: null,
    bytesFor750: null,
    framesRequested: frames,
    bytesForRequested: null,
    error,
  });
  try {
    const sizeOpt = fileSize === null ? {} : { fileSize };
    let inspection = inspectMp4Prefix(prefix, sizeOpt);
    if (inspection.status === 'need-more' && inspection.needBytes !== null && inspection.needBytes <= MAX_ASSEMBLE_BYTES) {
      const end = Math.min(inspection.needBytes, fileSize ?? inspection.needBytes) - 1;
      const rest = await fetchRange(prefix.length, end);
      inspection = inspectMp4Prefix(Buffer.concat([prefix, rest]), sizeOpt);
    }
    if (inspection.status === 'not-mp4') return empty('not an mp4: the file does not start with mp4 boxes (ftyp/moov/mdat)');
    if (inspection.status === 'need-more') return empty('the moov atom could not be read from the start of the file');
    if (inspection.status === 'ready') return facts(inspection.info, fileSize, frames);
    // moov after mdat: fetch from the end of mdat to the end of the file (the moov is there).
    const mdat = inspection.boxes.find((b) => b.type === 'mdat');
    const mdatOffset = mdat?.offset ?? null;
    if (!mdat || mdat.size === null || fileSize === null || fileSize > MAX_ASSEMBLE_BYTES) {
      return { ...empty('moov is after mdat; the file is too large or of unknown size to read its moov here'), mdatOffset };
    }
    const tailStart = mdat.offset + mdat.size;
    const tail = prefix.length >= fileSize ? prefix.subarray(tailStart, fileSize) : await fetchRange(tailStart, fileSize - 1);
    return facts(await inspectSparse(prefix.subarray(0, Math.min(prefix.length, fileSize)), tail, tailStart, fileSize), fileSize, frames);
  } catch (err) {
    return empty(messageOf(err));
  }
}

/** inspectMp4 reads a moov after mdat from a file only: write a sparse copy (prefix + tail) to a temp file. */
async function inspectSparse(prefix: Buffer, tail: Buffer, tailStart: number, fileSize: number): Promise<Mp4Info> {
  const dir = await mkdtemp(join(tmpdir(), 'autotune-probe-'));
  const path = join(dir, 'video.mp4');
  try {
    const handle = await open(path, 'w');
    try {
      await handle.write(prefix, 0, prefix.length, 0);
      await handle.write(tail, 0, tail.length, tailStart);
      await handle.truncate(fileSize);
    } finally {
      await handle.close();
    }
    return await inspectMp4(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function facts(info: Mp4Info, fileSize: number | null, frames: number): VideoFacts {
  // Without faststart no prefix decodes: the whole file is needed whatever n is.
  const bytesFor = (n: number) => (info.faststart ? info.bytesForFrames(Math.min(n, info.frameCount)) : fileSize);
  const mediaBytes = info.bytesForFrames(info.frameCount);
  return {
    mediaBytes,
    framesWhole: fileSize === null ? null : framesWithin(info, fileSize),
    size: fileSize,
    faststart: info.faststart,
    moovOffset: info.moovOffset,
    mdatOffset: info.mdatOffset,
    width: info.width,
    height: info.height,
    fps: info.fps,
    frameCount: info.frameCount,
    bytesFor750: bytesFor(CHALLENGE_FRAMES),
    framesRequested: frames,
    bytesForRequested: bytesFor(frames),
    error: null,
  };
}
