// Geometry shared by the pitch painter, the simulation and the renderer: a broadcast-like side view
// of a 105x68 m pitch drawn on a panorama wider (and a little taller) than the frame, so the camera
// has room to pan. Object sizes follow SIZES_AT_720P scaled with the frame.

export const PITCH_LENGTH_M = 105;
export const PITCH_WIDTH_M = 68;

export interface World {
  frameWidth: number;
  frameHeight: number;
  /** Frame size relative to 1280x720. */
  scale: number;
  panoWidth: number;
  panoHeight: number;
  /** Pitch rectangle (outer edge of the touch and goal lines) in panorama pixels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Panorama pixels per metre along x and y (the side view flattens depth, so y is smaller). */
  pxPerMetreX: number;
  pxPerMetreY: number;
}

export function createWorld(frameWidth: number, frameHeight: number): World {
  const panoWidth = Math.round(frameWidth * 2);
  const panoHeight = Math.round(frameHeight * 1.3);
  const left = Math.round(panoWidth * 0.035);
  const right = panoWidth - left;
  const top = Math.round(panoHeight * 0.09);
  const bottom = panoHeight - Math.round(panoHeight * 0.06);
  return {
    frameWidth,
    frameHeight,
    scale: Math.min(frameWidth / 1280, frameHeight / 720),
    panoWidth,
    panoHeight,
    left,
    right,
    top,
    bottom,
    pxPerMetreX: (right - left) / PITCH_LENGTH_M,
    pxPerMetreY: (bottom - top) / PITCH_WIDTH_M,
  };
}

export function toPanoX(world: World, metresX: number): number {
  return world.left + metresX * world.pxPerMetreX;
}

export function toPanoY(world: World, metresY: number): number {
  return world.top + metresY * world.pxPerMetreY;
}
