import { execa } from 'execa';
import { createRequire } from 'node:module';
import { AutotuneError } from '../errors.js';
import { findOnPath, isExecutable } from './executable.js';

export type FfmpegSource = 'FFMPEG_PATH' | 'PATH' | 'npm';

export interface FfmpegBinary {
  path: string;
  source: FfmpegSource;
}

let cached: FfmpegBinary | undefined;

// The system ffmpeg is preferred (it may be built with NVDEC); the npm-shipped static build keeps
// the tool working on hosts without one.
export function resolveFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegBinary {
  if (cached && env === process.env) return cached;
  const found = findFfmpeg(env);
  if (env === process.env) cached = found;
  return found;
}

function findFfmpeg(env: NodeJS.ProcessEnv): FfmpegBinary {
  const explicit = env.FFMPEG_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new AutotuneError('E_FFMPEG_MISSING', `FFMPEG_PATH=${explicit} is not an executable file`, {
        hint: 'point FFMPEG_PATH at an ffmpeg binary or unset it',
      });
    }
    return { path: explicit, source: 'FFMPEG_PATH' };
  }
  const onPath = findOnPath('ffmpeg', env.PATH);
  if (onPath) return { path: onPath, source: 'PATH' };
  try {
    const require = createRequire(import.meta.url);
    const shipped = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    if (isExecutable(shipped)) return { path: shipped, source: 'npm' };
  } catch {
    // fall through to the error below
  }
  throw new AutotuneError('E_FFMPEG_MISSING', 'no ffmpeg found (FFMPEG_PATH, PATH, @ffmpeg-installer/ffmpeg)', {
    hint: 'install ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH',
  });
}


export interface FfmpegInfo extends FfmpegBinary {
  version: string;
  hwaccels: string[];
  decoders: { h264_cuvid: boolean; hevc_cuvid: boolean };
}

/** Version, hardware accelerations and CUDA decoders the binary was built with. */
export async function probeFfmpeg(bin: FfmpegBinary = resolveFfmpeg()): Promise<FfmpegInfo> {
  const [version, hw, dec] = await Promise.all([
    execa(bin.path, ['-hide_banner', '-version'], { reject: false }),
    execa(bin.path, ['-hide_banner', '-hwaccels'], { reject: false }),
    execa(bin.path, ['-hide_banner', '-decoders'], { reject: false }),
  ]);
  const versionLine = version.stdout.split('\n')[0] ?? '';
  const hwaccels = hw.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
  return {
    ...bin,
    version: versionLine.match(/ffmpeg version (\S+)/)?.[1] ?? 'unknown',
    hwaccels,
    decoders: {
      h264_cuvid: /\bh264_cuvid\b/.test(dec.stdout),
      hevc_cuvid: /\bhevc_cuvid\b/.test(dec.stdout),
    },
  };
}
