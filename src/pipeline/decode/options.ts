import type { Readable } from 'node:stream';
import { AutotuneError } from '../../errors.js';
import { resolveFfmpeg, type FfmpegBinary } from '../../util/ffmpeg.js';
import type { DecodeOptions } from './types.js';

export interface NormalizedDecodeOptions {
  path: string | null;
  stream: Readable | null;
  prefix: boolean;
  size: number;
  stride: number;
  nvdec: boolean;
  nvdecFallback: boolean;
  src: { width: number; height: number } | null;
  threads: number | undefined;
  readAheadFrames: number;
  signal: AbortSignal | undefined;
  label: string;
  ffmpeg: FfmpegBinary;
}

export function normalizeDecodeOptions(o: DecodeOptions): NormalizedDecodeOptions {
  const path = 'path' in o.input ? o.input.path : null;
  const stream = 'stream' in o.input ? o.input.stream : null;
  if ((path === null) === (stream === null)) invalid('input', 'give exactly one of { path } or { stream }');
  positiveInt('size', o.size);
  if (o.stride !== undefined) positiveInt('stride', o.stride);
  if (o.threads !== undefined) positiveInt('threads', o.threads);
  if (o.readAheadFrames !== undefined) positiveInt('readAheadFrames', o.readAheadFrames);
  if ((o.srcWidth === undefined) !== (o.srcHeight === undefined)) invalid('srcWidth/srcHeight', 'give both or neither');
  if (o.srcWidth !== undefined) {
    positiveInt('srcWidth', o.srcWidth);
    positiveInt('srcHeight', o.srcHeight);
  }
  return {
    path,
    stream,
    prefix: o.prefix ?? false,
    size: o.size,
    stride: o.stride ?? 1,
    nvdec: o.nvdec ?? false,
    nvdecFallback: o.nvdecFallback ?? true,
    src: o.srcWidth !== undefined && o.srcHeight !== undefined ? { width: o.srcWidth, height: o.srcHeight } : null,
    threads: o.threads,
    readAheadFrames: o.readAheadFrames ?? 32,
    signal: o.signal,
    label: o.label ?? path ?? 'stream',
    ffmpeg: o.ffmpeg ?? resolveFfmpeg(),
  };
}

function positiveInt(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) {
    invalid(name, `must be a positive integer, got ${String(value)}`);
  }
}

function invalid(name: string, why: string): never {
  throw new AutotuneError('E_INPUT', `decoder option ${name}: ${why}`, { hint: 'fix the decoder options' });
}
