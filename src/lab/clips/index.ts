// Synthetic SN44-like match clips with exact ground truth.
export { makeClip, makeClips, simulateTruth, type ClipInfo, type OneClipOptions } from './make.js';
export { normalizeClipOptions, parseSize, CLIP_DEFAULTS, type ClipOptions, type ClipSettings } from './options.js';
export { readTruth, truthPathFor, type Truth, type TruthFrame, type TruthObject } from './truth.js';
export { topLevelBoxes, isFaststart, type Mp4Box } from './mp4-boxes.js';
export { MIN_VISIBLE_FRACTION } from './render.js';
