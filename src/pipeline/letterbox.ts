// Letterbox geometry shared by the decoder (which scales and pads) and the detector (which maps
// boxes back). Ultralytics' convention: keep the aspect ratio, centre the image, pad with grey 114.

export const PAD_VALUE = 114;

export interface Letterbox {
  /** Source frame size in pixels. */
  srcWidth: number;
  srcHeight: number;
  /** Square model input size S. */
  size: number;
  /** Scale from source to input pixels. */
  scale: number;
  /** Size of the scaled image inside the square (even numbers, as ffmpeg's yuv scaler wants). */
  width: number;
  height: number;
  /** Padding before the image on each axis, in input pixels. */
  padX: number;
  padY: number;
}

export function letterbox(srcWidth: number, srcHeight: number, size: number): Letterbox {
  if (!(srcWidth > 0 && srcHeight > 0 && size > 0)) {
    throw new RangeError(`letterbox needs positive sizes, got ${srcWidth}x${srcHeight} -> ${size}`);
  }
  const scale = Math.min(size / srcWidth, size / srcHeight);
  const width = Math.min(size, 2 * Math.round((srcWidth * scale) / 2));
  const height = Math.min(size, 2 * Math.round((srcHeight * scale) / 2));
  const padX = Math.floor((size - width) / 2);
  const padY = Math.floor((size - height) / 2);
  return { srcWidth, srcHeight, size, scale, width, height, padX, padY };
}

/** Maps a box in model-input pixels back to source pixels, clipped to the frame. */
export function unletterboxBox(
  box: readonly [number, number, number, number],
  lb: Letterbox,
): [number, number, number, number] {
  const sx = lb.width / lb.srcWidth;
  const sy = lb.height / lb.srcHeight;
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return [
    clip((box[0] - lb.padX) / sx, lb.srcWidth),
    clip((box[1] - lb.padY) / sy, lb.srcHeight),
    clip((box[2] - lb.padX) / sx, lb.srcWidth),
    clip((box[3] - lb.padY) / sy, lb.srcHeight),
  ];
}
