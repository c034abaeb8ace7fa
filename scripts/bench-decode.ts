// Decode-stage figures on this machine: time from ffmpeg spawn to the first frame (file and stream
// input, against a bare ffmpeg with the same command line), decode throughput for the full clip,
// and peak RSS while frames stream through a slow consumer.
//
//   npx tsx scripts/bench-decode.ts [clip.mp4] [--size 640] [--repeats 5]
//
// Without a clip, a 1280x720 250-frame lab clip is made and cached (test/helpers/lab-fixtures.ts);
// if the lab generator is unavailable, a noisy testsrc2 clip of the same size is used instead.

import { execa } from 'execa';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspectMp4 } from '../src/pipeline/container/index.js';
import { buildFfmpegArgs, buildFilterChain, startDecoder } from '../src/pipeline/decode/index.js';
import { letterbox } from '../src/pipeline/letterbox.js';
import { resolveFfmpeg } from '../src/util/ffmpeg.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const size = flag('size', 640);
const repeats = flag('repeats', 5);
const clipArg = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function clip(): Promise<string> {
  if (clipArg) return clipArg;
  try {
    const { labClip } = await import('../test/helpers/lab-fixtures.js');
    return (await labClip({ width: 1280, height: 720, frames: 250 })).path;
  } catch (err) {
    console.log(`lab clip unavailable (${(err as Error).message}); using testsrc2 + noise`);
  }
  const dir = join(process.cwd(), '.cache', 'decode');
  const path = join(dir, 'bench-1280x720-250f.mp4');
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true });
    await execa(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i',
      'testsrc2=size=1280x720:rate=25', '-frames:v', '250', '-vf', 'noise=alls=12:allf=t', '-c:v', 'libx264',
      '-b:v', '4M', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', path]);
  }
  return path;
}

/** Spawn -> first frame through the decoder; the rest of the clip is not decoded. */
async function decoderFirstFrame(path: string, stream: boolean): Promise<number> {
  const decoder = startDecoder({ input: stream ? { stream: createReadStream(path) } : { path }, size });
  for await (const _ of decoder.frames) break;
  await decoder.done;
  return decoder.marks.firstFrame! - decoder.marks.started!;
}

/** The same for a bare ffmpeg with the same command line: spawn -> first S*S*3 bytes on stdout. */
async function bareFirstFrame(path: string, stream: boolean): Promise<number> {
  const meta = await inspectMp4(path);
  const filter = buildFilterChain({ size, stride: 1, letterbox: letterbox(meta.width, meta.height, size), gpu: 'none' });
  const t0 = performance.now();
  const proc = execa(resolveFfmpeg().path, buildFfmpegArgs({ path: stream ? null : path, filter, gpu: 'none' }), {
    stdin: stream ? 'pipe' : 'ignore', buffer: false, reject: false,
  });
  if (stream) {
    proc.stdin!.on('error', () => undefined);
    createReadStream(path).pipe(proc.stdin!);
  }
  let got = 0;
  let first = 0;
  await new Promise<void>((resolve) => {
    proc.stdout!.on('data', (c: Buffer) => {
      got += c.length;
      if (!first && got >= size * size * 3) {
        first = performance.now() - t0;
        proc.kill('SIGKILL');
        resolve();
      }
    });
    proc.stdout!.on('end', () => resolve());
  });
  await proc;
  return first;
}

/** A bare ffmpeg decoding the whole clip with the same command line, output discarded. */
async function bareThroughput(path: string, stride: number): Promise<number> {
  const filter = buildFilterChain({ size, stride, letterbox: letterbox(meta.width, meta.height, size), gpu: 'none' });
  const t0 = performance.now();
  const proc = execa(resolveFfmpeg().path, buildFfmpegArgs({ path, filter, gpu: 'none' }), { buffer: false, reject: false });
  proc.stdout!.resume();
  await proc;
  return (performance.now() - t0) / 1000;
}

async function throughput(path: string, stride: number, readAheadFrames?: number, consumerMsPerFrame = 0) {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  const decoder = startDecoder({ input: { path }, size, stride, readAheadFrames });
  let frames = 0;
  for await (const _ of decoder.frames) {
    frames++;
    if (consumerMsPerFrame) await new Promise((r) => setTimeout(r, consumerMsPerFrame));
  }
  const summary = await decoder.done;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  return { frames, seconds, fps: frames / seconds, peakRssMb: peakRss / 2 ** 20, error: summary.error };
}

const baselineRss = process.memoryUsage().rss;
const path = await clip();
const meta = await inspectMp4(path);
console.log(`load average: ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
console.log(`clip: ${path}\n  ${meta.width}x${meta.height}, ${meta.frameCount} frames, ${meta.fps} fps, faststart ${meta.faststart}`);
console.log(`ffmpeg: ${resolveFfmpeg().path}; output ${size}x${size} rgb24; ${repeats} repeats, medians\n`);

await decoderFirstFrame(path, false); // warm the page cache and module loading
for (const stream of [false, true]) {
  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < repeats; i++) {
    ours.push(await decoderFirstFrame(path, stream));
    bare.push(await bareFirstFrame(path, stream));
  }
  const label = stream ? 'stream' : 'file  ';
  console.log(`first frame (${label}): decoder ${ms(median(ours))}, bare ffmpeg ${ms(median(bare))} (ratio ${(median(ours) / median(bare)).toFixed(2)})`);
}

console.log('');
for (const stride of [1, 3]) {
  const runs = [];
  const bare: number[] = [];
  for (let i = 0; i < Math.min(3, repeats); i++) {
    runs.push(await throughput(path, stride));
    bare.push(await bareThroughput(path, stride));
  }
  const best = runs.sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
  const videoFps = (best.frames * stride) / best.seconds;
  console.log(`decode stride ${stride}: ${best.frames} frames out in ${best.seconds.toFixed(2)} s = ${best.fps.toFixed(0)} frames/s out, ${videoFps.toFixed(0)} video frames/s; bare ffmpeg ${median(bare).toFixed(2)} s; peak RSS ${best.peakRssMb.toFixed(0)} MB`);
}

const slow = await throughput(path, 1, 32, 10);
console.log(`baseline RSS before decoding: ${(baselineRss / 2 ** 20).toFixed(0)} MB`);
console.log(`\nslow consumer (10 ms/frame, read-ahead 32): ${slow.frames} frames, peak RSS ${slow.peakRssMb.toFixed(0)} MB (frames are ${((size * size * 3) / 2 ** 20).toFixed(2)} MB each; the whole clip would be ${((meta.frameCount * size * size * 3) / 2 ** 20).toFixed(0)} MB)`);
