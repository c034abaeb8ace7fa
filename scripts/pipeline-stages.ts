// Each stage of the pipeline measured alone, for floor ratios (pipeline total over the slowest stage
// alone): download alone (network only, bytes dropped), decode alone (the local file through the
// pipeline's decoder, frames dropped), inference alone (real frames through the model, as many as the
// challenge inferred). Used by scripts/bench.ts; the same measurements as scripts/bench-pipeline.ts,
// with every setting passed in.

import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDecoder } from '../src/pipeline/decode/index.js';
import { ConnectionPool, startDownload } from '../src/pipeline/fetch/index.js';
import { openDetector, type Device } from '../src/pipeline/infer/index.js';

export interface DownloadAloneOptions {
  url: string;
  ca: string | undefined;
  http2: boolean;
  /** Bytes 0..rangeEnd only; null for the whole file. */
  rangeEnd: number | null;
  /** Open and warm the connection before the clock starts (as USE_CONNECTION_POOL=1 does). */
  warm: boolean;
}

/** Seconds to fetch the body; throws when the download fails. */
export async function downloadAlone(o: DownloadAloneOptions): Promise<{ seconds: number; bytes: number }> {
  const pool = new ConnectionPool({ ca: o.ca });
  try {
    const tracked = o.warm ? await pool.warm(o.url, o.http2) : pool.agentFor(o.url, o.http2);
    const t0 = performance.now();
    const dl = startDownload({ url: o.url, dispatcher: tracked.agent, rangeEnd: o.rangeEnd, onChunk: () => {}, idleTimeoutMs: 30_000 });
    const outcome = await dl.done;
    if (!outcome.complete) throw new Error(`download alone failed: ${outcome.error?.reason}: ${outcome.error?.message}`);
    return { seconds: (performance.now() - t0) / 1000, bytes: outcome.bytes };
  } finally {
    await pool.close();
  }
}

export interface DecodeAloneOptions {
  path: string;
  imgSize: number;
  stride: number;
  /** Decode only the first N bytes of the file (a partial download); null for the whole file. */
  prefixBytes: number | null;
}

/** Seconds to decode every (strided) frame of the file, or of its prefix. */
export async function decodeAlone(o: DecodeAloneOptions): Promise<{ seconds: number; frames: number }> {
  let dir: string | null = null;
  let input = o.path;
  try {
    if (o.prefixBytes !== null) {
      dir = await mkdtemp(join(tmpdir(), 'sn44-prefix-'));
      input = join(dir, 'prefix.mp4');
      await copyPrefix(o.path, input, o.prefixBytes);
    }
    const t0 = performance.now();
    const decoder = startDecoder({ input: { path: input }, size: o.imgSize, stride: o.stride, prefix: o.prefixBytes !== null });
    let frames = 0;
    for await (const _ of decoder.frames) frames += 1;
    const summary = await decoder.done;
    const seconds = (performance.now() - t0) / 1000;
    if (frames === 0) throw new Error(`decode alone produced no frame: ${JSON.stringify(summary)}`);
    return { seconds, frames };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

export interface InferAloneOptions {
  /** A local copy of the video: frames for the batch come from it. */
  path: string;
  modelPath: string;
  device: Device;
  imgSize: number;
  conf: number;
  batch: number;
  /** Frames to infer (the challenge's frames answered). */
  count: number;
  /**
   * CPU provider only: the most frames per model call, a batch being split as the pipeline's
   * evaluator does (its cpuModelBatch, default 4); null passes batches whole.
   */
  cpuModelBatch?: number | null;
}

/** One batch of real frames run as many times as it takes to infer `count` frames, after a warm-up. */
export async function inferAlone(o: InferAloneOptions): Promise<{ seconds: number; provider: string }> {
  const detector = await openDetector({ modelPath: o.modelPath, device: o.device, imgSize: o.imgSize, conf: o.conf });
  try {
    const decoder = startDecoder({ input: { path: o.path }, size: o.imgSize, stride: 1 });
    const sample: Buffer[] = [];
    for await (const f of decoder.frames) {
      sample.push(Buffer.from(f.data));
      if (sample.length === o.batch) break;
    }
    decoder.stop();
    const info = await decoder.info;
    await decoder.done;
    if (!info || sample.length === 0) throw new Error(`inference alone: no frame decoded from ${o.path}`);
    while (sample.length < o.batch) sample.push(sample[sample.length % Math.max(1, sample.length)]!);
    const slice = detector.provider === 'cpu' && o.cpuModelBatch !== null ? (o.cpuModelBatch ?? 4) : Infinity;
    // Session warm-up at the call size used below, as the evaluator's cached session is warm.
    await detector.detect(sample.slice(0, Math.min(slice, o.batch)), info.letterbox);
    const t0 = performance.now();
    for (let done = 0; done < o.count; done += o.batch) {
      const batch = sample.slice(0, Math.min(o.batch, o.count - done));
      for (let i = 0; i < batch.length; i += slice) await detector.detect(batch.slice(i, i + slice), info.letterbox);
    }
    return { seconds: (performance.now() - t0) / 1000, provider: detector.provider };
  } finally {
    await detector.close();
  }
}

async function copyPrefix(from: string, to: string, bytes: number): Promise<void> {
  const src = await open(from, 'r');
  const dst = await open(to, 'w');
  try {
    const buffer = Buffer.alloc(Math.min(bytes, (await src.stat()).size));
    const { bytesRead } = await src.read(buffer, 0, buffer.length, 0);
    await dst.write(buffer, 0, bytesRead);
  } finally {
    await src.close();
    await dst.close();
  }
}
