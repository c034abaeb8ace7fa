import { setTimeout as sleep } from 'node:timers/promises';
import type { LinkProfile } from './profiles.js';

/** Burst allowance of the token bucket: time lost to a late timer or event loop is caught up to this. */
export const BUCKET_BYTES = 32 * 1024;

/**
 * One emulated network link, shared by everything sent over one connection (all streams of an
 * HTTP/2 session). Bandwidth is a token bucket kept as a virtual clock: each chunk reserves its
 * transmission time after the previous one, so concurrent streams share the rate and timer jitter
 * does not accumulate; the bucket holds BUCKET_BYTES, so idle time earns at most that burst.
 */
export class Link {
  private wireFreeAt = 0;

  constructor(private readonly profile: LinkProfile) {}

  get rttMs(): number {
    return this.profile.rttMs;
  }

  /** Resolves when `bytes` may start going out. */
  async reserve(bytes: number): Promise<void> {
    const rate = this.profile.rateBytesPerSec;
    if (rate === null) return;
    const now = performance.now();
    const startAt = Math.max(this.wireFreeAt, now - (BUCKET_BYTES * 1000) / rate);
    this.wireFreeAt = startAt + (bytes * 1000) / rate;
    const wait = startAt - now;
    if (wait >= 1) await sleep(wait);
  }

  /** The wait before a response's first byte: one round trip. */
  async roundTrip(): Promise<void> {
    if (this.profile.rttMs > 0) await sleep(this.profile.rttMs);
  }

  /** Chunk size for body writes: small when shaped so the pacing is smooth. */
  get chunkBytes(): number {
    return this.profile.rateBytesPerSec === null ? 64 * 1024 : 16 * 1024;
  }
}
