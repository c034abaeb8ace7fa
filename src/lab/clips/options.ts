// Clip options, normalized once at the boundary (CLI or API) into a complete, checked shape.

import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AutotuneError } from '../../errors.js';
import { makeDirs } from '../../util/fs.js';

export interface ClipOptions {
  count?: number;
  frames?: number;
  /** `WIDTHxHEIGHT` or separate width/height. */
  size?: string;
  width?: number;
  height?: number;
  fps?: number;
  seed?: number;
  outDir?: string;
  moovEnd?: boolean;
}

export interface ClipSettings {
  count: number;
  frames: number;
  width: number;
  height: number;
  fps: number;
  seed: number;
  outDir: string;
  moovEnd: boolean;
}

export const CLIP_DEFAULTS = { count: 1, frames: 750, width: 1280, height: 720, fps: 25, seed: 1, outDir: 'samples' } as const;

export function normalizeClipOptions(options: ClipOptions = {}): ClipSettings {
  const size = options.size === undefined ? undefined : parseSize(options.size);
  const settings: ClipSettings = {
    count: options.count ?? CLIP_DEFAULTS.count,
    frames: options.frames ?? CLIP_DEFAULTS.frames,
    width: size?.width ?? options.width ?? CLIP_DEFAULTS.width,
    height: size?.height ?? options.height ?? CLIP_DEFAULTS.height,
    fps: options.fps ?? CLIP_DEFAULTS.fps,
    seed: options.seed ?? CLIP_DEFAULTS.seed,
    outDir: options.outDir ?? CLIP_DEFAULTS.outDir,
    moovEnd: options.moovEnd ?? false,
  };
  requireInt('--count', settings.count, 1, 1000);
  requireInt('--frames', settings.frames, 1, 100_000);
  requireInt('--seed', settings.seed, 0, 2 ** 32 - 1);
  checkDimensions(settings.width, settings.height);
  if (!Number.isFinite(settings.fps) || settings.fps <= 0 || settings.fps > 240) {
    throw new AutotuneError('E_USAGE', `--fps ${settings.fps} is not a frame rate between 0 and 240`, {
      hint: 'use e.g. --fps 25',
    });
  }
  return settings;
}

/** Parses `1280x720`; both sides even (yuv420p needs it) and between 32 and 7680. */
export function parseSize(text: string): { width: number; height: number } {
  const match = /^\s*(\d+)\s*[xX]\s*(\d+)\s*$/.exec(text);
  if (!match) {
    throw new AutotuneError('E_USAGE', `--size ${JSON.stringify(text)} is not WIDTHxHEIGHT`, {
      hint: 'use e.g. --size 1280x720',
    });
  }
  const width = Number(match[1]);
  const height = Number(match[2]);
  checkDimensions(width, height);
  return { width, height };
}

function checkDimensions(width: number, height: number): void {
  const ok = (v: number) => Number.isInteger(v) && v >= 32 && v <= 7680 && v % 2 === 0;
  if (!ok(width) || !ok(height)) {
    throw new AutotuneError('E_USAGE', `--size ${width}x${height} is not usable: width and height must be even, 32 to 7680`, {
      hint: 'use e.g. --size 1280x720',
    });
  }
}

function requireInt(flag: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const shown = Number.isNaN(value) ? '(not a number)' : String(value);
    throw new AutotuneError('E_USAGE', `${flag} ${shown} is not a whole number from ${min} to ${max}`, {
      hint: `pass ${flag} ${min} or more`,
    });
  }
}

/** Creates the output folder and checks it can be written, before any encoding starts. */
export function ensureWritableDir(dir: string): void {
  try {
    makeDirs(resolve(dir));
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const cause = err instanceof AutotuneError ? err.cause : err;
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new AutotuneError('E_INPUT', `--out ${dir} is not a writable folder (${code})`, {
      hint: 'choose a folder you can write to, e.g. --out samples',
      cause: err,
    });
  }
}
