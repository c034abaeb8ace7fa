// Turns how ffmpeg ended into a typed result. Frames already produced are always valid: a stream or
// prefix cut mid-frame ends with errors ("Invalid NAL unit size", "partial file") that are not a
// failure. Without any frame, a missing or unreachable moov is told apart from other failures, and
// the first bytes of the input say why the moov was missing.

import { inspectMp4Prefix } from '../container/mp4.js';
import type { DecodeError } from './types.js';

export interface ExitFacts {
  framesOut: number;
  exitCode: number | null;
  stopped: 'stop' | 'abort' | null;
  moovNotFound: boolean;
  partialFile: boolean;
  invalidData: boolean;
  streamSeen: boolean;
  /** ffmpeg opened the input and found no video stream in it. */
  noVideoStream?: boolean;
  /** The input is a stream or a partial download: a missing moov is then about the prefix. */
  prefixLike: boolean;
  gpu: boolean;
  lastErrorLine: string | null;
  /** The input's first bytes (up to 64 KiB), when available. */
  head: Uint8Array | null;
  /** Total bytes of input (stream bytes piped, or file size). */
  inputBytes: number | null;
  label: string;
}

export function classifyExit(f: ExitFacts): { error: DecodeError | null; moovMissing: boolean } {
  const head = f.head ? inspectMp4Prefix(f.head) : null;
  const headShowsNoMoov =
    head?.status === 'moov-after-mdat' ||
    (head?.status === 'need-more' && head.needBytes !== null && f.inputBytes !== null && head.needBytes > f.inputBytes);
  const moovMissing =
    f.framesOut === 0 && (f.moovNotFound || f.partialFile || (f.invalidData && !f.streamSeen) || (headShowsNoMoov && !f.streamSeen));
  if (f.stopped) return { error: null, moovMissing };
  if (f.framesOut > 0) return { error: null, moovMissing };
  const moovCut = head?.status === 'need-more' && head.needBytes !== null && f.inputBytes !== null && head.needBytes > f.inputBytes;
  if (f.noVideoStream && !f.streamSeen && !f.moovNotFound && !f.partialFile && !moovCut) {
    return { error: { reason: 'decode', message: `${f.label} has no video track (ffmpeg found only other streams, e.g. audio)` }, moovMissing: false };
  }
  const detail = f.lastErrorLine ? `: ${f.lastErrorLine}` : '';
  if (moovMissing) {
    if (f.prefixLike) return { error: { reason: 'moov-not-in-prefix', message: moovMessage(f, head) }, moovMissing };
    return {
      error: { reason: 'decode', message: `${f.label} has no usable moov atom (the file is incomplete or not an mp4)${detail}` },
      moovMissing,
    };
  }
  if (f.gpu && /cuda|cuvid|nvdec|hwaccel|hwdownload|hwframe|device/i.test(f.lastErrorLine ?? '')) {
    return { error: { reason: 'nvdec-unavailable', message: `NVDEC decode of ${f.label} failed${detail}` }, moovMissing };
  }
  if (f.exitCode === 0) {
    const bytes = f.inputBytes === null ? '' : ` (${f.inputBytes} bytes)`;
    return { error: { reason: 'decode', message: `${f.label}${bytes} ended before its first whole frame` }, moovMissing };
  }
  return { error: { reason: 'decode', message: `ffmpeg could not decode ${f.label} (exit ${f.exitCode})${detail}` }, moovMissing };
}

function moovMessage(f: ExitFacts, head: ReturnType<typeof inspectMp4Prefix> | null): string {
  const got = f.inputBytes === null ? 'the bytes received' : `${f.inputBytes} bytes`;
  if (head?.status === 'moov-after-mdat') {
    return `${f.label}: moov atom is after mdat: this video cannot be decoded from a stream or prefix; use a full download to a file`;
  }
  if (head?.status === 'need-more' && head.needBytes !== null && f.inputBytes !== null && head.needBytes > f.inputBytes) {
    return `${f.label}: the input ended inside the moov atom (${got}; the moov ends at byte ${head.needBytes}): start decoding with a larger prefix`;
  }
  if (head?.status === 'not-mp4') return `${f.label}: not an mp4 (no ftyp/moov box at the start of ${got})`;
  return `${f.label}: no moov atom in ${got} of input${f.lastErrorLine ? ` (${f.lastErrorLine})` : ''}`;
}
