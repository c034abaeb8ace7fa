// Where reference answers are kept between runs. A file per key by default; the store may offer
// another implementation of the same two calls.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, FrameAnswer } from '../types.js';

export interface ReferenceAnswer {
  key: string;
  /** The video's identity (ETag + size, or a content hash): the SN44 frame sample is seeded by it. */
  videoId: string;
  url: string;
  modelHash: string;
  config: Config;
  framesInVideo: number;
  /** The video's frame size (absent in references made before it was recorded). */
  frameSize?: { width: number; height: number };
  answer: FrameAnswer[];
  createdAt: string;
}

export interface ReferenceCache {
  get(key: string): Promise<ReferenceAnswer | null>;
  put(key: string, reference: ReferenceAnswer): Promise<void>;
}

/** One JSON file per key under `dir` (e.g. .cache/references/<key>.json), written atomically. */
export class FileReferenceCache implements ReferenceCache {
  constructor(readonly dir: string) {}

  async get(key: string): Promise<ReferenceAnswer | null> {
    const path = this.pathOf(key);
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as ReferenceAnswer;
      return parsed.key === key && Array.isArray(parsed.answer) ? parsed : null;
    } catch {
      return null; // missing or unreadable: computed again
    }
  }

  async put(key: string, reference: ReferenceAnswer): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.pathOf(key)}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(reference));
    await rename(tmp, this.pathOf(key));
  }

  private pathOf(key: string): string {
    if (!/^[a-f0-9]{16,64}$/.test(key)) throw new RangeError(`bad reference key ${key}`);
    return join(this.dir, `${key}.json`);
  }
}
