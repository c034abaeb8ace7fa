// Watches the first bytes of a download for the mp4 layout: once the moov is complete the video's
// frame count is known; an mdat before the moov means no prefix or stream of this file can decode.

import { inspectMp4Prefix, type Mp4Info } from '../container/index.js';

const MAX_HEAD_BYTES = 16 * 1024 * 1024;

export type HeadState = 'pending' | 'ready' | 'moov-after-mdat' | 'not-mp4' | 'unreadable' | 'gave-up';

export class HeadInspector {
  state: HeadState = 'pending';
  info: Mp4Info | null = null;
  /** Why the moov could not be read ('unreadable'), e.g. it has no video track. */
  problem: string | null = null;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private needBytes = 0;

  constructor(private readonly fileSize: () => number | null) {}

  push(chunk: Buffer): void {
    if (this.state !== 'pending') return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes < this.needBytes) return;
    const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [head];
    const size = this.fileSize();
    let result: ReturnType<typeof inspectMp4Prefix>;
    try {
      result = inspectMp4Prefix(head, size === null ? {} : { fileSize: size });
    } catch (err) {
      // A complete moov that cannot be used: no video track, or a sample table mp4box rejects.
      this.state = 'unreadable';
      this.problem = err instanceof Error ? err.message : String(err);
      this.chunks = [];
      return;
    }
    if (result.status === 'ready') {
      this.state = 'ready';
      this.info = result.info;
    } else if (result.status === 'moov-after-mdat') {
      this.state = 'moov-after-mdat';
    } else if (result.status === 'not-mp4' && head.length >= 16) {
      this.state = 'not-mp4';
    } else if (result.status === 'need-more') {
      this.needBytes = result.needBytes ?? this.bytes + 1;
    }
    if (this.state === 'pending' && this.bytes > MAX_HEAD_BYTES) this.state = 'gave-up';
    if (this.state !== 'pending') this.chunks = [];
  }
}
