// A broadcast camera: follows the ball with lag plus a slow sway, so it pans smoothly and
// consecutive frames differ. Positions are whole panorama pixels (frames are row copies).

import type { Scene } from './scene.js';
import { toPanoX, toPanoY, type World } from './world.js';

export interface Camera {
  x: number;
  y: number;
}

function aim(world: World, scene: Scene): Camera {
  const sway = Math.sin(scene.time * 0.35) * world.frameWidth * 0.12;
  return {
    x: toPanoX(world, scene.ball.x) - world.frameWidth / 2 + sway,
    y: toPanoY(world, scene.ball.y) - world.frameHeight / 2,
  };
}

export function createCamera(world: World, scene: Scene): Camera {
  return clampCamera(world, aim(world, scene));
}

export function stepCamera(camera: Camera, world: World, scene: Scene, dt: number): void {
  const target = aim(world, scene);
  const follow = 1 - Math.exp(-dt * 1.2);
  const next = clampCamera(world, {
    x: camera.x + (target.x - camera.x) * follow,
    y: camera.y + (target.y - camera.y) * follow * 0.6,
  });
  camera.x = next.x;
  camera.y = next.y;
}

/** The camera's top-left corner in whole panorama pixels. */
export function cameraOrigin(camera: Camera): [number, number] {
  return [Math.round(camera.x), Math.round(camera.y)];
}

function clampCamera(world: World, c: Camera): Camera {
  return {
    x: Math.min(Math.max(c.x, 0), world.panoWidth - world.frameWidth),
    y: Math.min(Math.max(c.y, 0), world.panoHeight - world.frameHeight),
  };
}
