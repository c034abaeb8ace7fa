// The floor ratio of a config: its median total time on a video over the slowest of download alone,
// decode alone and inference alone, each measured in the same run with the config's own settings.
// Decode and inference alone do not depend on the link, so they are measured once per setting and
// reused across profiles (the cache outlives one profile).

import { normalizeSettings } from '../../src/pipeline/challenge/settings.js';
import type { Device } from '../../src/pipeline/infer/index.js';
import type { Config } from '../../src/pipeline/types.js';
import { decodeAlone, downloadAlone, inferAlone } from '../pipeline-stages.js';

export interface FloorFigures {
  video: string;
  total: number;
  download: number;
  decode: number;
  infer: number;
  slowest: 'download' | 'decode' | 'infer';
  /** total / the slowest stage alone: 1.0 is perfect overlap; download + decode + infer in series is about 2-3. */
  ratio: number;
  framesInferred: number;
  error?: undefined;
}

export type FloorResult = FloorFigures | { video: string; error: string };

export type StageCache = Map<string, Promise<{ seconds: number }>>;

export async function measureFloor(o: {
  config: Config;
  url: string;
  localPath: string;
  ca: string;
  modelPath: string;
  device: Device;
  total: number;
  framesInferred: number;
  cache: StageCache;
}): Promise<FloorResult> {
  try {
    const s = normalizeSettings(o.config);
    const prefix = s.partialDownload ? s.partialDownloadBytes : null;
    // The network changes with the profile and the load: measured afresh for every config.
    const download = await downloadAlone({
      url: o.url,
      ca: o.ca,
      http2: s.enableHttp2,
      rangeEnd: prefix === null ? null : prefix - 1,
      warm: s.useConnectionPool,
    });
    const decode = await cached(o.cache, `decode|${o.localPath}|${s.imgSize}|${s.frameStride}|${prefix}`, () =>
      decodeAlone({ path: o.localPath, imgSize: s.imgSize, stride: s.frameStride, prefixBytes: prefix }),
    );
    const infer = await cached(o.cache, `infer|${o.localPath}|${s.imgSize}|${s.confThreshold}|${s.batchSize}|${o.framesInferred}`, () =>
      inferAlone({
        path: o.localPath,
        modelPath: o.modelPath,
        device: o.device,
        imgSize: s.imgSize,
        conf: s.confThreshold,
        batch: s.batchSize,
        count: o.framesInferred,
      }),
    );
    const stages = { download: download.seconds, decode: decode.seconds, infer: infer.seconds };
    const slowest = (Object.entries(stages) as [FloorFigures['slowest'], number][]).reduce((a, b) => (b[1] > a[1] ? b : a));
    return { video: o.url, total: o.total, ...stages, slowest: slowest[0], ratio: o.total / slowest[1], framesInferred: o.framesInferred };
  } catch (err) {
    return { video: o.url, error: (err as Error).message };
  }
}

function cached(cache: StageCache, key: string, make: () => Promise<{ seconds: number }>): Promise<{ seconds: number }> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
