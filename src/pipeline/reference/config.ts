// The default reference config, for a challenge without a search space (autotune diagnose): the most
// complete answer the model can give for a video. Full download to a file (any mp4 layout), every
// frame, no budget, the given image size, a low confidence threshold so that a config's higher
// threshold shows up as missed boxes. A study runs its space's `reference:` instead.

import type { Config } from '../types.js';

export const REFERENCE_CONF = 0.1;

export function referenceConfig(imgSize: number, conf: number = REFERENCE_CONF): Config {
  return {
    PARTIAL_DOWNLOAD: 0,
    CHUNKED_STREAMING: 0,
    USE_CONNECTION_POOL: 0,
    ENABLE_HTTP2: 0,
    USE_NVDEC: 0,
    FRAME_STRIDE: 1,
    TIME_BUDGET_S: 0,
    IMG_SIZE: imgSize,
    BATCH_SIZE: 8,
    RAMP_UP_FIRST_BATCH: 8,
    CONF_THRESHOLD: conf,
  };
}
