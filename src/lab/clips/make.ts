// Makes synthetic SN44-like clips: simulate, render, encode, and write the exact ground truth.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASS_NAMES } from '../scene/palette.js';
import { createCamera, stepCamera } from './camera.js';
import { bitrateFor, encodeFrames, remuxMoovAtEnd } from './encode.js';
import { ensureWritableDir, normalizeClipOptions, type ClipOptions } from './options.js';
import { paintPanorama } from './pitch.js';
import { createRng } from '../../util/prng.js';
import { createRenderer } from './render.js';
import { createScene, stepScene } from './scene.js';
import { truthPathFor, writeTruth, type Truth, type TruthFrame } from './truth.js';
import { createWorld } from './world.js';

export interface ClipInfo {
  path: string;
  truthPath: string;
  moovEndPath?: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  bytes: number;
}

export interface OneClipOptions {
  seed: number;
  frames: number;
  width: number;
  height: number;
  fps: number;
  outDir: string;
  moovEnd?: boolean;
  /** File name without extension; default `match-<seed>`. */
  name?: string;
}

/** Makes `count` clips with seeds seed, seed+1, ... (one after another: encoding uses the cores). */
export async function makeClips(options: ClipOptions = {}): Promise<ClipInfo[]> {
  const s = normalizeClipOptions(options);
  ensureWritableDir(s.outDir);
  const clips: ClipInfo[] = [];
  for (let i = 0; i < s.count; i++) {
    clips.push(await makeClip({ ...s, seed: s.seed + i }));
  }
  return clips;
}

export async function makeClip(o: OneClipOptions): Promise<ClipInfo> {
  normalizeClipOptions({ frames: o.frames, width: o.width, height: o.height, fps: o.fps, seed: o.seed });
  ensureWritableDir(o.outDir);
  const name = o.name ?? `match-${o.seed}`;
  const path = join(o.outDir, `${name}.mp4`);
  const { frames: truthFrames, pixels } = simulate(o);
  await encodeFrames(path, { width: o.width, height: o.height, fps: o.fps, bitrate: bitrateFor(o.width, o.height) }, pixels);
  const truth: Truth = {
    version: 1,
    width: o.width,
    height: o.height,
    fps: o.fps,
    frameCount: o.frames,
    classes: [...CLASS_NAMES],
    frames: truthFrames,
  };
  const truthPath = truthPathFor(path);
  await writeTruth(truthPath, truth);
  let moovEndPath: string | undefined;
  if (o.moovEnd) {
    moovEndPath = join(o.outDir, `${name}.moov-end.mp4`);
    await remuxMoovAtEnd(path, moovEndPath);
  }
  const { size } = await stat(path);
  return { path, truthPath, ...(moovEndPath ? { moovEndPath } : {}), frames: o.frames, width: o.width, height: o.height, fps: o.fps, bytes: size };
}

/**
 * The clip's frames as a lazy sequence (rendered as the encoder asks for them), and its truth,
 * filled in as frames are rendered.
 */
function simulate(o: OneClipOptions): { frames: TruthFrame[]; pixels: Iterable<Buffer> } {
  const frames: TruthFrame[] = [];
  function* pixels(): Generator<Buffer> {
    const world = createWorld(o.width, o.height);
    // Separate streams, so the pitch texture does not shift the match when sizes change.
    const pano = paintPanorama(world, createRng(o.seed ^ 0x5bd1e995));
    const rng = createRng(o.seed);
    const scene = createScene(rng);
    const camera = createCamera(world, scene);
    const renderer = createRenderer(world, pano);
    const dt = 1 / o.fps;
    for (let n = 0; n < o.frames; n++) {
      if (n > 0) {
        stepScene(scene, dt, rng);
        stepCamera(camera, world, scene, dt);
      }
      const { frame, objects } = renderer.render(scene, camera);
      frames.push({ frameNumber: n, objects });
      yield frame;
    }
  }
  return { frames, pixels: pixels() };
}

/** Truth only, without encoding: for tests and tools that need the geometry. */
export function simulateTruth(o: Omit<OneClipOptions, 'outDir'>): TruthFrame[] {
  const { frames, pixels } = simulate({ ...o, outDir: '' });
  for (const _ of pixels) void _;
  return frames;
}
