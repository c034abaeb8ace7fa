// A video's container facts (frame count, frame size) read over HTTP the way the probe reads them:
// a ranged prefix, then only the bytes the moov needs.

import { openTrackedAgent } from '../pipeline/fetch/index.js';
import { CHALLENGE_FRAMES, videoFacts } from './container-facts.js';
import { checkRange, rangedGet } from './http-probe.js';
import type { VideoFacts } from './types.js';

export interface ReadVideoFactsOptions {
  /** PEM text of an extra trusted CA (e.g. the lab server's). */
  ca?: string | undefined;
  prefixBytes?: number;
}

/** Throws E_NETWORK / E_HTTP_STATUS when the video cannot be fetched; container problems are in `error`. */
export async function readVideoFacts(url: string, options: ReadVideoFactsOptions = {}): Promise<VideoFacts> {
  const tracked = openTrackedAgent({ allowH2: false, ca: options.ca });
  try {
    const last = (options.prefixBytes ?? 1024 * 1024) - 1;
    const prefix = await rangedGet(tracked.agent, url, 0, last);
    const range = checkRange(prefix, 0, last);
    const fetchRange = async (start: number, end: number) =>
      range.honoured
        ? (await rangedGet(tracked.agent, url, start, end)).body
        : (await rangedGet(tracked.agent, url, start, end, end + 1)).body.subarray(start);
    return await videoFacts(prefix.body, range.size, fetchRange, CHALLENGE_FRAMES);
  } finally {
    await tracked.close();
  }
}
