import type { Readable } from 'node:stream';
import type { FfmpegBinary } from '../../util/ffmpeg.js';
import type { Letterbox } from '../letterbox.js';

export type DecodeInput = { path: string } | { stream: Readable };

export interface DecodeOptions {
  /** A file (seekable: any mp4 layout works) or a byte stream piped to ffmpeg's stdin (faststart only). */
  input: DecodeInput;
  /** The input is a partial download (a prefix of the file): a missing moov is then 'moov-not-in-prefix'. */
  prefix?: boolean;
  /** Square output size S: frames are letterboxed to SxS rgb24. */
  size: number;
  /** Keep every Nth video frame (default 1); frame indices stay the video's own. */
  stride?: number;
  /** Decode on the GPU (ffmpeg -hwaccel cuda) when NVDEC works here. */
  nvdec?: boolean;
  /** With nvdec and no usable NVDEC: true (default) decodes in software and says so; false fails. */
  nvdecFallback?: boolean;
  /** Source size if known; otherwise ffmpeg computes the letterbox from the stream (same formula). */
  srcWidth?: number;
  srcHeight?: number;
  /** ffmpeg decoder and filter threads (default: ffmpeg's choice). */
  threads?: number;
  /** Frames decoded ahead of the consumer before ffmpeg is paused (default 32). */
  readAheadFrames?: number;
  /** Aborting kills ffmpeg; the summary says `stopped: 'abort'`. */
  signal?: AbortSignal;
  /** Name of the input in messages (e.g. the URL); defaults to the path or 'stream'. */
  label?: string;
  ffmpeg?: FfmpegBinary;
}

export interface DecodedFrame {
  /** The video's own frame index (output frame k is video frame k*stride). */
  index: number;
  /** size*size*3 bytes, rgb24, rows top to bottom (HWC uint8). */
  data: Buffer;
}

export interface DecodeInfo {
  srcWidth: number;
  srcHeight: number;
  fps: number | null;
  codec: string;
  /** e.g. 'h264 (software)' or 'h264 (nvdec)'. */
  decoder: string;
  /** Why the decoder is not the one asked for (e.g. NVDEC fallback); null otherwise. */
  decoderNote: string | null;
  letterbox: Letterbox;
}

export type DecodeErrorReason = 'moov-not-in-prefix' | 'decode' | 'nvdec-unavailable';

export interface DecodeError {
  reason: DecodeErrorReason;
  message: string;
}

export interface DecodeSummary {
  /** Frames ffmpeg produced (delivered to the consumer or still queued when it stopped). */
  framesOut: number;
  exitCode: number | null;
  signal: string | null;
  /** Ended by stop() or by the abort signal; never an error. */
  stopped: 'stop' | 'abort' | null;
  /** ffmpeg could not find (or could not use) the moov atom at open. */
  moovMissing: boolean;
  /** Bytes piped to ffmpeg (stream input only). */
  bytesIn: number | null;
  decoder: string | null;
  decoderNote: string | null;
  error: DecodeError | null;
  stderrTail: string;
}

export interface DecodeMarks {
  /** performance.now() at startDecoder(). */
  requested: number;
  /** performance.now() when ffmpeg was spawned (null until then; later than requested only while an NVDEC probe runs). */
  started: number | null;
  /** performance.now() when the first whole frame came out of ffmpeg. */
  firstFrame: number | null;
}

export interface Decoder {
  /** Single consumer. Breaking out of the loop stops ffmpeg. */
  frames: AsyncIterable<DecodedFrame>;
  /** Resolves once ffmpeg has reported the input stream (before the first frame); null if it never did. */
  info: Promise<DecodeInfo | null>;
  marks: DecodeMarks;
  /** Resolves when ffmpeg has exited. Never rejects: failures are in `error`. */
  done: Promise<DecodeSummary>;
  /** Frames produced so far and frames waiting for the consumer (bounded by readAheadFrames). */
  stats(): { framesOut: number; queued: number };
  /** Ends decoding now (e.g. a time budget): ffmpeg is killed, the frames loop ends, no error. */
  stop(): void;
}
