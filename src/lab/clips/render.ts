// Draws one frame (camera window of the panorama, then people and ball in depth order) and
// derives the exact ground truth from the same geometry.
//
// Truth rule, shared with the lab detector's expectations:
// - a person's box is exactly their kit-coloured body rectangle (the skin-coloured head above it is
//   NOT part of the box), so a colour-based detector can match it pixel for pixel;
// - the ball's box is the bounding square of its disc;
// - boxes are in frame pixels [x1, y1, x2, y2] (x2, y2 exclusive edges), clipped to the frame;
// - an object is listed only if at least MIN_VISIBLE_FRACTION of its body (or disc) pixels are
//   visible, i.e. inside the frame and not covered by anything drawn in front of it; objects nearer
//   the camera (lower on the pitch) are drawn later and cover those behind.

import { CLASS_IDS, KITS, PITCH, SIZES_AT_720P, type Rgb } from '../scene/palette.js';
import { cameraOrigin, type Camera } from './camera.js';
import type { Panorama } from './pitch.js';
import type { Scene } from './scene.js';
import type { TruthObject } from './truth.js';
import { PITCH_WIDTH_M, toPanoX, toPanoY, type World } from './world.js';

export const MIN_VISIBLE_FRACTION = 0.5;
const NOTHING = 255;
const BALL_RGB: Rgb = KITS.find((k) => k.classId === CLASS_IDS.ball)!.rgb;

interface Sprite {
  classId: number;
  rgb: Rgb;
  /** Body (or ball square) in frame pixels, unclipped, exclusive right/bottom edges. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  disc: boolean;
  head: { x1: number; y1: number; x2: number; y2: number } | null;
  depth: number;
}

export interface Renderer {
  render(scene: Scene, camera: Camera): { frame: Buffer; objects: TruthObject[] };
}

export function createRenderer(world: World, pano: Panorama): Renderer {
  const { frameWidth: W, frameHeight: H } = world;
  const owners = new Uint8Array(W * H);
  return {
    render(scene, camera) {
      const [cx, cy] = cameraOrigin(camera);
      const frame = Buffer.allocUnsafe(W * H * 3);
      const rowBytes = W * 3;
      for (let row = 0; row < H; row++) {
        const src = ((cy + row) * pano.width + cx) * 3;
        pano.pixels.copy(frame, row * rowBytes, src, src + rowBytes);
      }
      owners.fill(NOTHING);
      const sprites = spritesOf(world, scene, cx, cy).sort((a, b) => a.depth - b.depth);
      sprites.forEach((s, i) => draw(frame, owners, W, H, s, i));
      const objects: TruthObject[] = [];
      sprites.forEach((s, i) => {
        const box = visibleBox(owners, W, H, s, i);
        if (box) objects.push({ bbox: box, classId: s.classId });
      });
      // Stable order for the truth file: by class, then left to right.
      objects.sort((a, b) => a.classId - b.classId || a.bbox[0] - b.bbox[0] || a.bbox[1] - b.bbox[1]);
      return { frame, objects };
    },
  };
}

function spritesOf(world: World, scene: Scene, cx: number, cy: number): Sprite[] {
  const s = world.scale;
  const { player, ball } = SIZES_AT_720P;
  const sprites: Sprite[] = scene.actors.map((a) => {
    const depth = clamp01(a.y / PITCH_WIDTH_M);
    const mix = 0.5 * a.build + 0.5 * depth;
    const w = Math.max(2, Math.round(lerp(player.width[0], player.width[1], mix) * s));
    const h = Math.max(4, Math.round(lerp(player.height[0], player.height[1], mix) * s));
    const footX = Math.round(toPanoX(world, a.x)) - cx;
    const footY = Math.round(toPanoY(world, a.y)) - cy;
    const x1 = footX - Math.floor(w / 2);
    const y1 = footY - h;
    const headSize = Math.max(2, Math.round(w * 0.5));
    const hx = x1 + Math.floor((w - headSize) / 2);
    return {
      classId: a.kit.classId,
      rgb: a.kit.rgb,
      x1,
      y1,
      x2: x1 + w,
      y2: footY,
      disc: false,
      head: { x1: hx, y1: y1 - headSize, x2: hx + headSize, y2: y1 },
      depth: a.y,
    };
  });
  const depth = clamp01(scene.ball.y / PITCH_WIDTH_M);
  const d = Math.max(3, Math.round(lerp(ball.diameter[0], ball.diameter[1], depth) * s));
  const bx = Math.round(toPanoX(world, scene.ball.x)) - cx - Math.floor(d / 2);
  const by = Math.round(toPanoY(world, scene.ball.y)) - cy - d;
  sprites.push({ classId: CLASS_IDS.ball, rgb: BALL_RGB, x1: bx, y1: by, x2: bx + d, y2: by + d, disc: true, head: null, depth: scene.ball.y });
  return sprites;
}

function inDisc(s: Sprite, x: number, y: number): boolean {
  const r = (s.x2 - s.x1) / 2;
  const dx = x + 0.5 - (s.x1 + r);
  const dy = y + 0.5 - (s.y1 + r);
  return dx * dx + dy * dy <= r * r;
}

function draw(frame: Buffer, owners: Uint8Array, W: number, H: number, s: Sprite, id: number): void {
  if (s.head) paint(frame, owners, W, H, s.head, PITCH.skin, id, null);
  paint(frame, owners, W, H, s, s.rgb, id, s.disc ? s : null);
}

function paint(
  frame: Buffer,
  owners: Uint8Array,
  W: number,
  H: number,
  r: { x1: number; y1: number; x2: number; y2: number },
  rgb: Rgb,
  id: number,
  disc: Sprite | null,
): void {
  for (let y = Math.max(0, r.y1); y < Math.min(H, r.y2); y++) {
    for (let x = Math.max(0, r.x1); x < Math.min(W, r.x2); x++) {
      if (disc && !inDisc(disc, x, y)) continue;
      const p = y * W + x;
      owners[p] = id;
      frame[p * 3] = rgb[0];
      frame[p * 3 + 1] = rgb[1];
      frame[p * 3 + 2] = rgb[2];
    }
  }
}

function visibleBox(owners: Uint8Array, W: number, H: number, s: Sprite, id: number): [number, number, number, number] | null {
  let total = 0;
  let visible = 0;
  for (let y = s.y1; y < s.y2; y++) {
    for (let x = s.x1; x < s.x2; x++) {
      if (s.disc && !inDisc(s, x, y)) continue;
      total++;
      if (x >= 0 && y >= 0 && x < W && y < H && owners[y * W + x] === id) visible++;
    }
  }
  if (total === 0 || visible < total * MIN_VISIBLE_FRACTION) return null;
  return [Math.max(0, s.x1), Math.max(0, s.y1), Math.min(W, s.x2), Math.min(H, s.y2)];
}

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
