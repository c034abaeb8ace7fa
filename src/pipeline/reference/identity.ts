// Identities for cache keys: a video's content (ETag + size when the server gives them, else a hash
// of the bytes), a model file's content, and the reference key that combines them with the config.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AutotuneError } from '../../errors.js';
import { discardBody, openTrackedAgent, requestFollowingRedirects } from '../fetch/index.js';
import type { Config } from '../types.js';

/** `etag:<etag>;size:<n>` from a HEAD request, else `sha256:<hex>` of the whole body. */
export async function videoIdentity(url: string, ca?: string): Promise<string> {
  const tracked = openTrackedAgent({ allowH2: false, ca });
  try {
    const { res: head } = await requestFollowingRedirects(url, { method: 'HEAD', dispatcher: tracked.agent, headersTimeout: 15_000, bodyTimeout: 15_000 });
    await discardBody(head.body);
    const etag = head.headers.etag;
    const size = head.headers['content-length'];
    if (head.statusCode === 200 && typeof etag === 'string' && typeof size === 'string' && !etag.startsWith('W/')) {
      return `etag:${etag};size:${size}`;
    }
    const { res } = await requestFollowingRedirects(url, { dispatcher: tracked.agent, headersTimeout: 15_000, bodyTimeout: 15_000 });
    if (res.statusCode !== 200) {
      await discardBody(res.body);
      throw new Error(`HTTP ${res.statusCode}`);
    }
    const hash = createHash('sha256');
    for await (const chunk of res.body as AsyncIterable<Buffer>) hash.update(chunk);
    return `sha256:${hash.digest('hex')}`;
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot identify the video ${url}: ${(err as Error).message}`, {
      hint: 'check the URL and --ca',
      cause: err,
    });
  } finally {
    await tracked.close();
  }
}

const fileHashes = new Map<string, { stamp: string; hash: string }>();

/** sha256 of a file, remembered per (path, size, mtime). */
export async function fileHash(path: string): Promise<string> {
  const info = await stat(path);
  const stamp = `${info.size}:${info.mtimeMs}`;
  const known = fileHashes.get(path);
  if (known?.stamp === stamp) return known.hash;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  fileHashes.set(path, { stamp, hash: hex });
  return hex;
}

/** The cache key of a reference: (video content, model content, reference config). */
export function referenceKey(videoId: string, modelHash: string, config: Config): string {
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify({ videoId, modelHash, config: sorted })).digest('hex').slice(0, 32);
}
