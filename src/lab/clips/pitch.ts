// Paints the pitch panorama once per clip: mowing stripes, a fixed grain texture and the white lines.
// Frames are then cut out of it by the camera, so no frame redraws the pitch.

import { PITCH, type Rgb } from '../scene/palette.js';
import type { Rng } from '../../util/prng.js';
import { PITCH_LENGTH_M, PITCH_WIDTH_M, toPanoX, toPanoY, type World } from './world.js';

export interface Panorama {
  width: number;
  height: number;
  /** rgb24, row-major. */
  pixels: Buffer;
}

const STRIPES = 18;
const GRAIN = 6;

export function paintPanorama(world: World, rng: Rng): Panorama {
  const { panoWidth: width, panoHeight: height } = world;
  const pixels = Buffer.allocUnsafe(width * height * 3);
  const stripeWidth = (world.right - world.left) / STRIPES;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stripe = Math.floor((x - world.left) / stripeWidth);
      const base = (stripe & 1) === 0 ? PITCH.grassLight : PITCH.grassDark;
      const grain = Math.round((rng.next() - 0.5) * 2 * GRAIN);
      const i = (y * width + x) * 3;
      pixels[i] = clampByte(base[0] + grain);
      pixels[i + 1] = clampByte(base[1] + grain);
      pixels[i + 2] = clampByte(base[2] + grain);
    }
  }
  const pano = { width, height, pixels };
  paintLines(pano, world);
  return pano;
}

function paintLines(pano: Panorama, world: World): void {
  const t = Math.max(2, Math.round(3 * world.scale));
  const line = PITCH.line;
  const x = (m: number) => toPanoX(world, m);
  const y = (m: number) => toPanoY(world, m);
  const hRule = (x1: number, x2: number, atY: number) => fillRect(pano, x1, atY - t / 2, x2, atY + t / 2, line);
  const vRule = (atX: number, y1: number, y2: number) => fillRect(pano, atX - t / 2, y1, atX + t / 2, y2, line);
  const box = (x1: number, y1: number, x2: number, y2: number) => {
    hRule(x1, x2, y1);
    hRule(x1, x2, y2);
    vRule(x1, y1, y2);
    vRule(x2, y1, y2);
  };

  box(x(0), y(0), x(PITCH_LENGTH_M), y(PITCH_WIDTH_M));
  vRule(x(PITCH_LENGTH_M / 2), y(0), y(PITCH_WIDTH_M));
  const mid = PITCH_WIDTH_M / 2;
  for (const [goalX, inward] of [
    [0, 1],
    [PITCH_LENGTH_M, -1],
  ] as const) {
    const penaltyEdge = goalX + inward * 16.5;
    box(Math.min(x(goalX), x(penaltyEdge)), y(mid - 20.16), Math.max(x(goalX), x(penaltyEdge)), y(mid + 20.16));
    const goalAreaEdge = goalX + inward * 5.5;
    box(Math.min(x(goalX), x(goalAreaEdge)), y(mid - 9.16), Math.max(x(goalX), x(goalAreaEdge)), y(mid + 9.16));
    const spotX = goalX + inward * 11;
    ring(pano, world, spotX, mid, 0, t * 0.9, () => true);
    // The penalty arc: the part of a 9.15 m circle round the spot that lies outside the box.
    ring(pano, world, spotX, mid, 9.15, t / 2, (mx) => (inward > 0 ? mx > penaltyEdge : mx < penaltyEdge));
  }
  ring(pano, world, PITCH_LENGTH_M / 2, mid, 9.15, t / 2, () => true);
  ring(pano, world, PITCH_LENGTH_M / 2, mid, 0, t * 0.9, () => true);
}

/** A circle of `radius` metres drawn `halfWidth` pixels either side, where `keep(mx, my)` holds. */
function ring(
  pano: Panorama,
  world: World,
  cxM: number,
  cyM: number,
  radius: number,
  halfWidth: number,
  keep: (mx: number, my: number) => boolean,
): void {
  const sx = world.pxPerMetreX;
  const sy = world.pxPerMetreY;
  const x1 = Math.floor(toPanoX(world, cxM - radius) - halfWidth - 1);
  const x2 = Math.ceil(toPanoX(world, cxM + radius) + halfWidth + 1);
  const y1 = Math.floor(toPanoY(world, cyM - radius) - halfWidth - 1);
  const y2 = Math.ceil(toPanoY(world, cyM + radius) + halfWidth + 1);
  for (let py = Math.max(0, y1); py < Math.min(pano.height, y2); py++) {
    for (let px = Math.max(0, x1); px < Math.min(pano.width, x2); px++) {
      const dx = (px + 0.5 - world.left) / sx - cxM;
      const dy = (py + 0.5 - world.top) / sy - cyM;
      const d = Math.hypot(dx, dy);
      // Distance in pixels to the circle: the error in metres over the gradient's length in metres per pixel.
      const grad = d === 0 ? 1 / Math.min(sx, sy) : Math.hypot(dx / d / sx, dy / d / sy);
      if (Math.abs(d - radius) / grad <= halfWidth && keep(cxM + dx, cyM + dy)) setPixel(pano, px, py, PITCH.line);
    }
  }
}

function fillRect(pano: Panorama, x1: number, y1: number, x2: number, y2: number, rgb: Rgb): void {
  const ix1 = Math.max(0, Math.round(x1));
  const ix2 = Math.min(pano.width, Math.round(x2));
  const iy1 = Math.max(0, Math.round(y1));
  const iy2 = Math.min(pano.height, Math.round(y2));
  for (let py = iy1; py < iy2; py++) for (let px = ix1; px < ix2; px++) setPixel(pano, px, py, rgb);
}

function setPixel(pano: Panorama, x: number, y: number, rgb: Rgb): void {
  const i = (y * pano.width + x) * 3;
  pano.pixels[i] = rgb[0];
  pano.pixels[i + 1] = rgb[1];
  pano.pixels[i + 2] = rgb[2];
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
