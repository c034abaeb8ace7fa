import { describe, expect, it } from 'vitest';
import { byteSize, normalizeSettings, settingsToConfig } from '../../src/pipeline/challenge/settings.js';
import { isAutotuneError } from '../../src/errors.js';

const KIB = 1024;
const MIB = 1024 * 1024;

describe('normalizeSettings', () => {
  it('fills in the fork defaults', () => {
    expect(normalizeSettings({})).toEqual({
      partialDownload: true,
      partialDownloadBytes: 4 * MIB,
      chunkedStreaming: false,
      streamMinStartBytes: 512 * KIB,
      streamBufferTimeoutS: 0.2,
      enableHttp2: false,
      useConnectionPool: true,
      useNvdec: true,
      imgSize: 640,
      batchSize: 32,
      frameStride: 2,
      confThreshold: 0.35,
      rampUpFirstBatch: 8,
      timeBudgetS: 8,
      startBudgetAfterFirstFrame: true,
      passThrough: {},
    });
  });

  it('parses env-file strings: 0/1 flags, sizes with suffixes, fractional MB', () => {
    const s = normalizeSettings({
      PARTIAL_DOWNLOAD: '0',
      PARTIAL_DOWNLOAD_MB: '0.5',
      CHUNKED_STREAMING: 'true',
      STREAM_MIN_START_BYTES: '256KB',
      STREAM_BUFFER_TIMEOUT_S: '0.1',
      IMG_SIZE: '384',
      BATCH_SIZE: '64',
      FRAME_STRIDE: '6',
      CONF_THRESHOLD: '0.6',
      RAMP_UP_FIRST_BATCH: '1',
      TIME_BUDGET_S: '1.5',
    });
    expect(s).toMatchObject({
      partialDownload: false,
      partialDownloadBytes: MIB / 2,
      chunkedStreaming: true,
      streamMinStartBytes: 256 * KIB,
      streamBufferTimeoutS: 0.1,
      imgSize: 384,
      batchSize: 64,
      frameStride: 6,
      confThreshold: 0.6,
      rampUpFirstBatch: 1,
      timeBudgetS: 1.5,
    });
  });

  it('clamps STREAM_MIN_START_BYTES to 256 KiB..2 MiB', () => {
    expect(normalizeSettings({ STREAM_MIN_START_BYTES: 1000 }).streamMinStartBytes).toBe(256 * KIB);
    expect(normalizeSettings({ STREAM_MIN_START_BYTES: '8MB' }).streamMinStartBytes).toBe(2 * MIB);
    expect(normalizeSettings({ STREAM_MIN_START_BYTES: '1MiB' }).streamMinStartBytes).toBe(MIB);
  });

  it.each([
    [4, 1],
    [8, 2],
    [32, 8],
    [64, 8],
    [1, 1],
  ])('defaults RAMP_UP_FIRST_BATCH to max(1, min(8, batch/4)) for batch %i -> %i', (batch, ramp) => {
    expect(normalizeSettings({ BATCH_SIZE: batch }).rampUpFirstBatch).toBe(ramp);
  });

  it('caps an explicit RAMP_UP_FIRST_BATCH at the batch size', () => {
    expect(normalizeSettings({ BATCH_SIZE: 4, RAMP_UP_FIRST_BATCH: 16 }).rampUpFirstBatch).toBe(4);
  });

  it.each([0, '0', 'none', -1, Infinity])('reads TIME_BUDGET_S=%j as no budget', (value) => {
    expect(normalizeSettings({ TIME_BUDGET_S: value }).timeBudgetS).toBeNull();
  });

  it('rejects unknown knobs unless declared pass-through', () => {
    const err = (() => {
      try {
        normalizeSettings({ MODEL_PATH: '/m.onnx' });
      } catch (e) {
        return e;
      }
    })();
    expect(isAutotuneError(err, 'E_INPUT')).toBe(true);
    expect((err as Error).message).toBe('unknown knob MODEL_PATH');
    expect(normalizeSettings({ MODEL_PATH: '/m.onnx' }, { passThrough: ['MODEL_PATH'] }).passThrough).toEqual({
      MODEL_PATH: '/m.onnx',
    });
  });

  it.each([
    ['PARTIAL_DOWNLOAD', '2', /PARTIAL_DOWNLOAD=2 is not 0 or 1/],
    ['IMG_SIZE', 500, /IMG_SIZE=500 is not a multiple of 32/],
    ['BATCH_SIZE', '0', /BATCH_SIZE=0 is not an integer from 1 to 1024/],
    ['FRAME_STRIDE', '1.5', /FRAME_STRIDE=1.5 is not an integer/],
    ['CONF_THRESHOLD', '1.2', /CONF_THRESHOLD=1.2 is not a number between 0 and 1/],
    ['PARTIAL_DOWNLOAD_MB', 'four', /PARTIAL_DOWNLOAD_MB=four is not a positive number/],
    ['STREAM_MIN_START_BYTES', '12 GB', /is not a size like/],
    ['STREAM_BUFFER_TIMEOUT_S', '', /STREAM_BUFFER_TIMEOUT_S= is not a positive number/],
  ])('rejects %s=%j with a message naming it', (name, value, pattern) => {
    expect(() => normalizeSettings({ [name]: value })).toThrow(pattern);
  });

  it('round-trips through settingsToConfig', () => {
    const s = normalizeSettings({ FRAME_STRIDE: 3, TIME_BUDGET_S: 0, X: 'y' }, { passThrough: ['X'] });
    expect(normalizeSettings(settingsToConfig(s), { passThrough: ['X'] })).toEqual(s);
  });
});

describe('byteSize', () => {
  it.each([
    ['524288', 524288],
    ['512KB', 512 * KIB],
    ['512k', 512 * KIB],
    ['2MB', 2 * MIB],
    ['1.5 MiB', 1.5 * MIB],
    [1000, 1000],
  ])('%j -> %i', (text, bytes) => {
    expect(byteSize('X', text)).toBe(bytes);
  });
});
