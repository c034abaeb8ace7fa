// Does NVDEC decode work with this ffmpeg on this host? Answered by a real attempt: one frame of the
// embedded H.264 test clip (written once to the temp folder) decoded with -hwaccel cuda and
// downloaded from GPU memory through the same filter chain the decoder uses. An ffmpeg that cannot
// run or decode at all (checkDecoder), a build without the cuda hwaccel, a host without the driver
// (libcuda.so.1) and a driver without a device all end as `usable: false` with the reason. The
// result is cached per process and ffmpeg binary.

import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeFfmpeg, resolveFfmpeg, type FfmpegBinary } from '../../util/ffmpeg.js';
import { letterbox } from '../letterbox.js';
import { checkDecoder } from './check.js';
import { buildFfmpegArgs, buildFilterChain, type GpuChain } from './filters.js';
import { TEST_CLIP } from './test-clip.js';

export interface NvdecProbe {
  usable: boolean;
  /** Why not (or what worked), in one line. */
  reason: string;
  /** Decoder name to report when usable, e.g. 'h264 (nvdec)'. */
  decoder?: string;
  /** The GPU filter chain that produced the frame. */
  chain?: Exclude<GpuChain, 'none'>;
}

const CLIP_W = TEST_CLIP.width;
const CLIP_H = TEST_CLIP.height;
const OUT = 64;
const pending = new Map<string, Promise<NvdecProbe>>();
const settled = new Map<string, NvdecProbe>();

export function probeNvdec(bin: FfmpegBinary = resolveFfmpeg()): Promise<NvdecProbe> {
  let probe = pending.get(bin.path);
  if (!probe) {
    probe = runProbe(bin).then((result) => {
      settled.set(bin.path, result);
      return result;
    });
    pending.set(bin.path, probe);
  }
  return probe;
}

/** The cached result, if a probe of this binary has already finished in this process. */
export function cachedNvdecProbe(bin: FfmpegBinary = resolveFfmpeg()): NvdecProbe | undefined {
  return settled.get(bin.path);
}

async function runProbe(bin: FfmpegBinary): Promise<NvdecProbe> {
  // A decoder that cannot run or decode at all says so, not that it lacks the cuda hwaccel.
  const check = await checkDecoder(bin);
  if (!check.ok) return { usable: false, reason: `ffmpeg ${check.problem} (${bin.source}: ${bin.path}): ${check.detail}` };
  const [info, filters] = await Promise.all([
    probeFfmpeg(bin),
    execa(bin.path, ['-hide_banner', '-filters'], { reject: false }),
  ]);
  const what = `ffmpeg ${info.version} (${bin.source}: ${bin.path})`;
  let clip: string;
  try {
    clip = await probeClip();
  } catch (err) {
    return { usable: false, reason: `could not write the NVDEC probe clip to the temp folder: ${(err as Error).message}` };
  }
  const chains: Array<Exclude<GpuChain, 'none'>> = /\bscale_cuda\b/.test(String(filters.stdout))
    ? ['scale_cuda', 'hwdownload']
    : ['hwdownload'];
  let failure = '';
  for (const chain of chains) {
    const attempt = await decodeOneFrame(bin, clip, chain);
    if (attempt.ok) {
      return { usable: true, reason: `one frame decoded with -hwaccel cuda (${chain}) by ${what}`, decoder: 'h264 (nvdec)', chain };
    }
    failure ||= attempt.error;
  }
  const compiledIn = info.hwaccels.includes('cuda');
  const why = !compiledIn
    ? `${what} is built without the cuda hwaccel (no NVDEC)`
    : /libcuda|cuInit|CUDA_ERROR_NO_DEVICE|no CUDA-capable device/i.test(failure)
      ? `no usable NVIDIA driver/GPU for ${what}`
      : `${what} could not decode on the GPU`;
  return { usable: false, reason: `${why}; one-frame CUDA decode attempt failed: ${failure || 'no frame came out'}` };
}

async function probeClip(): Promise<string> {
  const path = join(tmpdir(), `autotune-nvdec-probe-${CLIP_W}x${CLIP_H}-${TEST_CLIP.frames}f.mp4`);
  if (existsSync(path)) return path;
  const partial = `${path}.${process.pid}.partial.mp4`;
  await writeFile(partial, TEST_CLIP.bytes());
  await rename(partial, path);
  return path;
}

async function decodeOneFrame(bin: FfmpegBinary, clip: string, chain: Exclude<GpuChain, 'none'>) {
  // stride 2 puts select in front of the GPU filters, as a strided decode does.
  const filter = buildFilterChain({ size: OUT, stride: 2, letterbox: letterbox(CLIP_W, CLIP_H, OUT), gpu: chain });
  const args = buildFfmpegArgs({ path: clip, filter, gpu: chain });
  args.splice(args.indexOf('-vsync'), 0, '-frames:v', '1');
  const run = await execa(bin.path, args, { reject: false, encoding: 'buffer', timeout: 30_000 });
  const bytes = (run.stdout as Uint8Array | undefined)?.byteLength ?? 0;
  if (bytes === OUT * OUT * 3) return { ok: true as const };
  return { ok: false as const, error: keyLine(Buffer.from(run.stderr as Uint8Array).toString()) };
}

function keyLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const key = lines.find((l) => /libcuda|Cannot load|Device creation failed|No device available|cuInit|CUDA/i.test(l));
  return key ?? lastLine(stderr);
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
