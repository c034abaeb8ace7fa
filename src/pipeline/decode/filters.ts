// The ffmpeg command line of the decode stage. The filter chain keeps every Nth frame, scales to the
// letterbox size and pads to SxS with grey 114, in rgb24 (padding after the rgb conversion keeps odd
// offsets exact: a yuv420p pad would round them to even).
//
// When the source size is unknown (a stream), the scale and pad sizes are ffmpeg expressions of the
// stream's own iw/ih that evaluate the same formula as letterbox() in the same double arithmetic, so
// no probe is needed before spawning and the geometry matches what the detector un-letterboxes with.
//
// GPU chains (NVDEC, frames stay in GPU memory after decode):
//   scale_cuda: select -> scale_cuda=W:H -> hwdownload,format=nv12 -> format=rgb24 -> pad
//   hwdownload: select -> hwdownload,format=nv12 -> scale=W:H (CPU) -> format=rgb24 -> pad
// scale_cuda is used when the ffmpeg binary has it and the NVDEC probe decoded a frame through it.

import { PAD_VALUE, type Letterbox } from '../letterbox.js';

export type GpuChain = 'none' | 'hwdownload' | 'scale_cuda';

export interface FilterSpec {
  size: number;
  stride: number;
  /** Exact geometry when the source size is known; null: computed by ffmpeg from the stream. */
  letterbox: Letterbox | null;
  gpu: GpuChain;
}

const PAD_COLOR = `0x${PAD_VALUE.toString(16).padStart(2, '0').repeat(3)}`;

export function buildFilterChain(spec: FilterSpec): string {
  const S = spec.size;
  const { w, h, x, y } = spec.letterbox
    ? {
        w: String(spec.letterbox.width),
        h: String(spec.letterbox.height),
        x: String(spec.letterbox.padX),
        y: String(spec.letterbox.padY),
      }
    : {
        w: `'min(${S},2*round(iw*min(${S}/iw,${S}/ih)/2))'`,
        h: `'min(${S},2*round(ih*min(${S}/iw,${S}/ih)/2))'`,
        x: `'(ow-iw)/2'`,
        y: `'(oh-ih)/2'`,
      };
  const steps: string[] = [];
  if (spec.stride > 1) steps.push(`select='not(mod(n,${spec.stride}))'`);
  if (spec.gpu === 'scale_cuda') steps.push(`scale_cuda=w=${w}:h=${h}`, 'hwdownload', 'format=nv12');
  if (spec.gpu === 'hwdownload') steps.push('hwdownload', 'format=nv12');
  if (spec.gpu !== 'scale_cuda') steps.push(`scale=w=${w}:h=${h}:flags=bilinear`);
  steps.push('format=rgb24', `pad=${S}:${S}:${x}:${y}:color=${PAD_COLOR}`);
  return steps.join(',');
}

export interface ArgsSpec {
  /** A file path, or null for stdin. */
  path: string | null;
  filter: string;
  gpu: GpuChain;
  threads?: number;
}

export function buildFfmpegArgs(spec: ArgsSpec): string[] {
  const threads = spec.threads ? ['-threads', String(spec.threads)] : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info',
    ...threads,
    ...(spec.gpu === 'none' ? [] : ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda']),
    // Keep the stored orientation: the letterbox and the answer's pixels refer to the coded frame.
    '-noautorotate',
    '-i',
    spec.path ?? 'pipe:0',
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    spec.filter,
    ...(spec.threads ? ['-filter_threads', String(spec.threads)] : []),
    // One output frame per selected input frame: no duplicates or drops, so output k = frame k*stride.
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}
