// Pipeline figures on this machine, all in one run over the lab server:
//  1. overlap: a streaming challenge (CHUNKED_STREAMING=1, full download, no budget) against download
//     alone, decode alone and inference alone on the same clip; target total <= 1.2x the slowest.
//  2. first frame: first byte -> first decoded frame in that challenge against a bare ffmpeg fed the
//     same bytes from the same server as they arrive; target <= 1.3x.
//  3. memory: peak RSS of a challenge at IMG_SIZE 640, BATCH_SIZE 64 in a fresh process; target < 600 MB.
//
//   npx tsx scripts/bench-pipeline.ts [--frames 750] [--size 1280x720] [--profile fork] [--img-size 640]
//        [--stride 1] [--batch 32] [--rss-stride 1] [--first-frame-repeats 5] [--cpu-model-batch 1]
//        [--model models/lab-detector.onnx]
//        [--device auto]
//
// On a small CPU-only machine, --img-size 224 --stride 5 --rss-stride 10 keep it to minutes.

import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { makeLabDetector } from '../src/lab/model/index.js';
import { startLabServer, type LabServer } from '../src/lab/server/index.js';
import { startDecoder } from '../src/pipeline/decode/index.js';
import { createPipelineEvaluator } from '../src/pipeline/evaluator.js';
import { openTrackedAgent, startDownload } from '../src/pipeline/fetch/index.js';
import { openDetector, type Device } from '../src/pipeline/infer/index.js';
import { letterbox } from '../src/pipeline/letterbox.js';
import { resolveFfmpeg } from '../src/util/ffmpeg.js';
import { labClip } from '../test/helpers/lab-fixtures.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const frames = Number(flag('frames', '750'));
const [width, height] = flag('size', '1280x720').split('x').map(Number) as [number, number];
const profile = flag('profile', 'fork');
const imgSize = Number(flag('img-size', '640'));
const stride = Number(flag('stride', '1'));
const batch = Number(flag('batch', '32'));
const rssStride = Number(flag('rss-stride', '1'));
const device = flag('device', 'auto') as Device;
const firstFrameRepeats = Number(flag('first-frame-repeats', '5'));
const fmt = (s: number) => `${s.toFixed(3)} s`;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : NaN;
};

async function modelPath(): Promise<string> {
  const given = flag('model', 'models/lab-detector.onnx');
  if (!existsSync(given)) await makeLabDetector({ out: given });
  return given;
}

/** Download alone: the whole file over a fresh connection, bytes dropped. */
async function downloadAlone(url: string, ca: string): Promise<number> {
  const tracked = openTrackedAgent({ allowH2: false, ca });
  const t0 = performance.now();
  const dl = startDownload({ url, dispatcher: tracked.agent, rangeEnd: null, onChunk: () => {}, idleTimeoutMs: 30_000 });
  const outcome = await dl.done;
  await tracked.close();
  if (!outcome.complete) throw new Error(`download failed: ${outcome.error?.message}`);
  return (performance.now() - t0) / 1000;
}

/** Decode alone: the local file through the pipeline's decoder, frames dropped. */
async function decodeAlone(path: string): Promise<{ seconds: number; frames: number }> {
  const t0 = performance.now();
  const decoder = startDecoder({ input: { path }, size: imgSize, stride });
  let n = 0;
  for await (const _ of decoder.frames) n += 1;
  await decoder.done;
  return { seconds: (performance.now() - t0) / 1000, frames: n };
}

/** Inference alone: one batch of real frames run as many times as the challenge has frames to infer. */
async function inferAlone(path: string, model: string, count: number): Promise<number> {
  const detector = await openDetector({ modelPath: model, device, imgSize, conf: 0.35 });
  const decoder = startDecoder({ input: { path }, size: imgSize, stride: 1 });
  const sample: Buffer[] = [];
  for await (const f of decoder.frames) {
    sample.push(Buffer.from(f.data));
    if (sample.length === batch) break;
  }
  decoder.stop();
  const info = await decoder.info;
  const lb = info?.letterbox ?? letterbox(width, height, imgSize);
  await detector.detect(sample.slice(0, 1), lb); // session warm-up, as the evaluator's cached session is
  const t0 = performance.now();
  for (let done = 0; done < count; done += batch) {
    await detector.detect(sample.slice(0, Math.min(batch, count - done)), lb);
  }
  const seconds = (performance.now() - t0) / 1000;
  await detector.close();
  return seconds;
}

/** A bare ffmpeg fed the download as it arrives: seconds from the first byte to the first frame out. */
async function bareFirstFrame(url: string, ca: string): Promise<number> {
  const lb = letterbox(width, height, imgSize);
  const filter = `scale=${lb.width}:${lb.height},pad=${imgSize}:${imgSize}:${lb.padX}:${lb.padY}`;
  const ffmpeg = execa(resolveFfmpeg().path, ['-v', 'error', '-i', 'pipe:0', '-vf', filter, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    reject: false,
    buffer: false,
  });
  const frameBytes = imgSize * imgSize * 3;
  let firstByte = 0;
  let out = 0;
  const firstFrame = new Promise<number>((resolve) => {
    ffmpeg.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.length;
      if (out >= frameBytes) resolve(performance.now());
    });
  });
  ffmpeg.stdin!.on('error', () => {});
  const tracked = openTrackedAgent({ allowH2: false, ca });
  const dl = startDownload({
    url,
    dispatcher: tracked.agent,
    rangeEnd: null,
    idleTimeoutMs: 30_000,
    onChunk: (chunk) => {
      firstByte ||= performance.now();
      ffmpeg.stdin!.write(chunk);
    },
  });
  const at = await firstFrame;
  dl.stop(null);
  await dl.done;
  ffmpeg.kill();
  await ffmpeg;
  await tracked.close();
  return (at - firstByte) / 1000;
}

async function rssChild(url: string, caPath: string, model: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const evaluator = createPipelineEvaluator({
    modelPath: model,
    device,
    ca: await readFile(caPath, 'utf8'),
    reference: false,
    cpuModelBatch: Number(flag('cpu-model-batch', '1')),
  });
  const r = await evaluator.evaluate(
    { IMG_SIZE: 640, BATCH_SIZE: 64, FRAME_STRIDE: rssStride, PARTIAL_DOWNLOAD: 0, CHUNKED_STREAMING: 1, TIME_BUDGET_S: 0, USE_NVDEC: 0 },
    { url },
  );
  await evaluator.close();
  process.stdout.write(
    `${JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024, framesDecoded: r.framesDecoded, framesAnswered: r.framesAnswered, error: r.error })}\n`,
  );
}

async function main(): Promise<void> {
  if (args[0] === '--rss-child') return rssChild(args[1]!, args[2]!, args[3]!);
  const model = await modelPath();
  process.stdout.write(`making/using a ${frames}-frame ${width}x${height} lab clip...\n`);
  const clip = await labClip({ frames, width, height });
  let server: LabServer | undefined;
  try {
    server = await startLabServer({ dir: dirname(clip.path), profile });
    const url = `${server.httpsUrl}${basename(clip.path)}`;
    process.stdout.write(`clip ${clip.path} (${(clip.bytes / 1e6).toFixed(2)} MB) over profile ${profile}; IMG_SIZE ${imgSize}, stride ${stride}, batch ${batch}\n\n`);

    const evaluator = createPipelineEvaluator({ modelPath: model, device, ca: server.ca, reference: false });
    const config = {
      IMG_SIZE: imgSize,
      BATCH_SIZE: batch,
      FRAME_STRIDE: stride,
      PARTIAL_DOWNLOAD: 0,
      CHUNKED_STREAMING: 1,
      STREAM_MIN_START_BYTES: '256KB',
      TIME_BUDGET_S: 0,
      USE_NVDEC: 0,
    };
    await evaluator.evaluate({ ...config, FRAME_STRIDE: Math.max(stride, 25) }, { url }); // warm: session, pool
    const run = await evaluator.evaluate(config, { url });
    // First-frame latency is one short sample per run: take the median of a few, interleaved with bare ffmpeg.
    const pipelineFirsts: number[] = [];
    const bareFirsts: number[] = [];
    for (let i = 0; i < firstFrameRepeats; i++) {
      const quick = await evaluator.evaluate({ ...config, FRAME_STRIDE: 25, TIME_BUDGET_S: 0.3 }, { url });
      if (quick.timeline.firstFrame !== null && quick.timeline.firstByte !== null) {
        pipelineFirsts.push(quick.timeline.firstFrame - quick.timeline.firstByte);
      }
      bareFirsts.push(await bareFirstFrame(url, server.ca));
    }
    await evaluator.close();
    if (run.error) throw new Error(`the challenge failed: ${run.error.reason}: ${run.error.message}`);

    const download = await downloadAlone(url, server.ca);
    const decode = await decodeAlone(clip.path);
    const infer = await inferAlone(clip.path, model, run.framesAnswered);
    const total = run.timeline.total!;
    const slowest = Math.max(download, decode.seconds, infer);
    process.stdout.write(
      [
        '1. overlap (CHUNKED_STREAMING=1, full download, no budget)',
        `   pipeline total      ${fmt(total)}  (${run.framesAnswered} frames answered, ${run.protocol}, ${run.decoder}, ${run.provider})`,
        `   download alone      ${fmt(download)}`,
        `   decode alone        ${fmt(decode.seconds)}  (${decode.frames} frames)`,
        `   inference alone     ${fmt(infer)}`,
        `   total / slowest     ${(total / slowest).toFixed(2)}x   (target <= 1.20x)`,
        '',
      ].join('\n') + '\n',
    );

    const pipelineFirst = median(pipelineFirsts);
    const bare = median(bareFirsts);
    process.stdout.write(
      [
        `2. first byte -> first decoded frame (median of ${firstFrameRepeats}, interleaved)`,
        `   pipeline            ${fmt(pipelineFirst)}  (STREAM_MIN_START_BYTES 256 KiB)`,
        `   bare ffmpeg         ${fmt(bare)}`,
        `   ratio               ${(pipelineFirst / bare).toFixed(2)}x   (target <= 1.30x)`,
        '',
      ].join('\n') + '\n',
    );

    const self = fileURLToPath(import.meta.url);
    const childArgs = ['--rss-child', url, server.caPath, model, '--rss-stride', String(rssStride), '--cpu-model-batch', flag('cpu-model-batch', '1')];
    const child = await execa('node', ['--import', 'tsx', self, ...childArgs], {
      reject: false,
    });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    let rss = 'failed';
    try {
      const o = JSON.parse(line) as { maxRssMB: number; framesDecoded: number; framesAnswered: number; error: unknown };
      rss = `${o.maxRssMB.toFixed(0)} MB  (${o.framesDecoded} frames decoded, ${o.framesAnswered} inferred${o.error ? `, error ${JSON.stringify(o.error)}` : ''})`;
    } catch {
      rss = `child failed: ${child.stderr.trim().split('\n').pop()}`;
    }
    process.stdout.write(
      ['3. memory: IMG_SIZE 640, BATCH_SIZE 64, streaming, fresh process', `   peak RSS            ${rss}   (target < 600 MB)`].join('\n') + '\n',
    );
  } finally {
    await server?.close();
  }
}

await main();
