// The knobs of the latency-tuned miner fork (sn44.md), normalized once into typed settings. Values
// arrive as strings (env files, --set) or as numbers/booleans (search spaces); both parse here and
// nowhere else.

import { AutotuneError } from '../../errors.js';
import type { Config, KnobValue } from '../types.js';

const MIB = 1024 * 1024;
const KIB = 1024;

export interface ChallengeSettings {
  partialDownload: boolean;
  /** Prefix size in bytes (PARTIAL_DOWNLOAD_MB x 1 MiB). */
  partialDownloadBytes: number;
  chunkedStreaming: boolean;
  /** Bytes buffered before the decoder starts (clamped 256 KiB..2 MiB). */
  streamMinStartBytes: number;
  streamBufferTimeoutS: number;
  enableHttp2: boolean;
  useConnectionPool: boolean;
  useNvdec: boolean;
  imgSize: number;
  batchSize: number;
  frameStride: number;
  confThreshold: number;
  rampUpFirstBatch: number;
  /** null = no budget (TIME_BUDGET_S <= 0, or none/inf/off). */
  timeBudgetS: number | null;
  startBudgetAfterFirstFrame: boolean;
  /** Declared pass-through knobs, kept as given (they matter to the miner, not to this pipeline). */
  passThrough: Record<string, KnobValue>;
}

export const KNOB_NAMES = [
  'PARTIAL_DOWNLOAD',
  'PARTIAL_DOWNLOAD_MB',
  'CHUNKED_STREAMING',
  'STREAM_MIN_START_BYTES',
  'STREAM_BUFFER_TIMEOUT_S',
  'ENABLE_HTTP2',
  'USE_CONNECTION_POOL',
  'USE_NVDEC',
  'IMG_SIZE',
  'BATCH_SIZE',
  'FRAME_STRIDE',
  'CONF_THRESHOLD',
  'RAMP_UP_FIRST_BATCH',
  'TIME_BUDGET_S',
  'START_BUDGET_AFTER_FIRST_FRAME',
] as const;
export type KnobName = (typeof KNOB_NAMES)[number];

/** The fork's defaults, as a miner's env file would spell them. */
export const FORK_DEFAULTS: Readonly<Record<Exclude<KnobName, 'RAMP_UP_FIRST_BATCH'>, KnobValue>> = {
  PARTIAL_DOWNLOAD: 1,
  PARTIAL_DOWNLOAD_MB: 4,
  CHUNKED_STREAMING: 0,
  STREAM_MIN_START_BYTES: 512 * KIB,
  STREAM_BUFFER_TIMEOUT_S: 0.2,
  ENABLE_HTTP2: 0,
  USE_CONNECTION_POOL: 1,
  USE_NVDEC: 1,
  IMG_SIZE: 640,
  BATCH_SIZE: 32,
  FRAME_STRIDE: 2,
  CONF_THRESHOLD: 0.35,
  TIME_BUDGET_S: 8.0,
  START_BUDGET_AFTER_FIRST_FRAME: 1,
};

export interface SettingsOptions {
  /** Knob names that are not this pipeline's but are allowed (kept in `passThrough`). */
  passThrough?: readonly string[];
}

/** Config (knob name -> value) -> typed settings; fork defaults fill the gaps. Throws E_INPUT. */
export function normalizeSettings(config: Config, options: SettingsOptions = {}): ChallengeSettings {
  const allowed = new Set(options.passThrough ?? []);
  const passThrough: Record<string, KnobValue> = {};
  for (const [name, value] of Object.entries(config)) {
    if ((KNOB_NAMES as readonly string[]).includes(name)) continue;
    if (allowed.has(name)) {
      passThrough[name] = value;
      continue;
    }
    throw new AutotuneError('E_INPUT', `unknown knob ${name}`, {
      hint: `known knobs: ${KNOB_NAMES.join(', ')}; declare others as pass-through`,
      context: { knob: name },
    });
  }
  const raw = (name: Exclude<KnobName, 'RAMP_UP_FIRST_BATCH'>): KnobValue => config[name] ?? FORK_DEFAULTS[name];
  const batchSize = integer('BATCH_SIZE', raw('BATCH_SIZE'), 1, 1024);
  const rampRaw = config.RAMP_UP_FIRST_BATCH;
  const rampUpFirstBatch =
    rampRaw === undefined
      ? Math.max(1, Math.min(8, Math.floor(batchSize / 4)))
      : Math.min(batchSize, integer('RAMP_UP_FIRST_BATCH', rampRaw, 1, 1024));
  const imgSize = integer('IMG_SIZE', raw('IMG_SIZE'), 32, 4096);
  if (imgSize % 32 !== 0) throw invalid('IMG_SIZE', raw('IMG_SIZE'), 'a multiple of 32');
  const budget = raw('TIME_BUDGET_S');
  return {
    partialDownload: flag('PARTIAL_DOWNLOAD', raw('PARTIAL_DOWNLOAD')),
    partialDownloadBytes: Math.round(positive('PARTIAL_DOWNLOAD_MB', raw('PARTIAL_DOWNLOAD_MB')) * MIB),
    chunkedStreaming: flag('CHUNKED_STREAMING', raw('CHUNKED_STREAMING')),
    streamMinStartBytes: Math.min(2 * MIB, Math.max(256 * KIB, byteSize('STREAM_MIN_START_BYTES', raw('STREAM_MIN_START_BYTES')))),
    streamBufferTimeoutS: positive('STREAM_BUFFER_TIMEOUT_S', raw('STREAM_BUFFER_TIMEOUT_S')),
    enableHttp2: flag('ENABLE_HTTP2', raw('ENABLE_HTTP2')),
    useConnectionPool: flag('USE_CONNECTION_POOL', raw('USE_CONNECTION_POOL')),
    useNvdec: flag('USE_NVDEC', raw('USE_NVDEC')),
    imgSize,
    batchSize,
    frameStride: integer('FRAME_STRIDE', raw('FRAME_STRIDE'), 1, 1000),
    confThreshold: fraction('CONF_THRESHOLD', raw('CONF_THRESHOLD')),
    rampUpFirstBatch,
    timeBudgetS: timeBudget(budget),
    startBudgetAfterFirstFrame: flag('START_BUDGET_AFTER_FIRST_FRAME', raw('START_BUDGET_AFTER_FIRST_FRAME')),
    passThrough,
  };
}

/** Settings -> the Config spelling (every knob explicit), e.g. to record what actually ran. */
export function settingsToConfig(s: ChallengeSettings): Config {
  return {
    PARTIAL_DOWNLOAD: s.partialDownload ? 1 : 0,
    PARTIAL_DOWNLOAD_MB: s.partialDownloadBytes / MIB,
    CHUNKED_STREAMING: s.chunkedStreaming ? 1 : 0,
    STREAM_MIN_START_BYTES: s.streamMinStartBytes,
    STREAM_BUFFER_TIMEOUT_S: s.streamBufferTimeoutS,
    ENABLE_HTTP2: s.enableHttp2 ? 1 : 0,
    USE_CONNECTION_POOL: s.useConnectionPool ? 1 : 0,
    USE_NVDEC: s.useNvdec ? 1 : 0,
    IMG_SIZE: s.imgSize,
    BATCH_SIZE: s.batchSize,
    FRAME_STRIDE: s.frameStride,
    CONF_THRESHOLD: s.confThreshold,
    RAMP_UP_FIRST_BATCH: s.rampUpFirstBatch,
    TIME_BUDGET_S: s.timeBudgetS ?? 0,
    START_BUDGET_AFTER_FIRST_FRAME: s.startBudgetAfterFirstFrame ? 1 : 0,
    ...s.passThrough,
  };
}

function invalid(name: string, value: KnobValue, expected: string): AutotuneError {
  return new AutotuneError('E_INPUT', `${name}=${String(value)} is not ${expected}`, {
    hint: `set ${name} to ${expected}`,
    context: { knob: name, value },
  });
}

function flag(name: string, value: KnobValue): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw invalid(name, value, '0 or 1');
}

function number(name: string, value: KnobValue, expected: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : NaN;
  if (!Number.isFinite(n)) throw invalid(name, value, expected);
  return n;
}

function positive(name: string, value: KnobValue): number {
  const n = number(name, value, 'a positive number');
  if (n <= 0) throw invalid(name, value, 'a positive number');
  return n;
}

function fraction(name: string, value: KnobValue): number {
  const n = number(name, value, 'a number between 0 and 1');
  if (n < 0 || n > 1) throw invalid(name, value, 'a number between 0 and 1');
  return n;
}

function integer(name: string, value: KnobValue, min: number, max: number): number {
  const expected = `an integer from ${min} to ${max}`;
  const n = number(name, value, expected);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(name, value, expected);
  return n;
}

/** Bytes, with an optional K/KB/KiB or M/MB/MiB suffix (binary multiples, as the fork uses). */
export function byteSize(name: string, value: KnobValue): number {
  if (typeof value === 'number') {
    if (!(value >= 0) || !Number.isFinite(value)) throw invalid(name, value, 'a size in bytes');
    return Math.round(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(String(value));
  if (!m) throw invalid(name, value, 'a size like 524288, 512KB or 1MB');
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? KIB : unit.startsWith('m') ? MIB : 1;
  return Math.round(Number(m[1]) * factor);
}

function timeBudget(value: KnobValue): number | null {
  if (typeof value === 'string' && ['none', 'inf', 'infinity', 'off'].includes(value.trim().toLowerCase())) return null;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (n === Infinity) return null;
  if (!Number.isFinite(n) || String(value).trim() === '') throw invalid('TIME_BUDGET_S', value, 'seconds (0 = no budget)');
  return n > 0 ? n : null;
}
