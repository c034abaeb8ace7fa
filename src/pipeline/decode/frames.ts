// Cuts ffmpeg's rawvideo byte stream into whole frames. Each byte is copied at most once: a frame
// that lies inside one chunk is a view of that chunk, otherwise the pieces are copied into a
// buffer of exactly one frame.

export class FrameAssembler {
  private partial: Buffer | null = null;
  private filled = 0;

  constructor(readonly frameBytes: number) {}

  push(chunk: Buffer, emit: (frame: Buffer) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.partial && chunk.length - offset >= this.frameBytes) {
        emit(chunk.subarray(offset, offset + this.frameBytes));
        offset += this.frameBytes;
        continue;
      }
      this.partial ??= Buffer.allocUnsafe(this.frameBytes);
      const n = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.partial, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameBytes) {
        const frame = this.partial;
        this.partial = null;
        this.filled = 0;
        emit(frame);
      }
    }
  }

  /** Bytes of an incomplete last frame (non-zero only when ffmpeg was killed mid-write). */
  get leftover(): number {
    return this.filled;
  }
}
