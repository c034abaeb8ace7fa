// Inference runs beside decoding: frames are grouped into batches (the first one smaller, for an
// early first result) and handed to the model one batch at a time. The queue of waiting batches is
// bounded, so a slow model slows the decoder (through `whenRoom`) instead of piling frames up in memory.

import type { Letterbox } from '../letterbox.js';
import type { Detection, FrameAnswer } from '../types.js';

export interface BatchDetector {
  detect(frames: Uint8Array[], letterbox: Letterbox): Promise<Detection[][]>;
}

export interface QueuedFrame {
  index: number;
  data: Uint8Array;
}

export interface BatchRunnerOptions {
  detector: BatchDetector;
  letterbox: Letterbox;
  firstBatch: number;
  batchSize: number;
  /** Batches allowed to wait while one is inferred. */
  maxWaiting?: number;
  /** Called after each batch with performance.now() of its end. */
  onBatch?: (at: number, frames: number) => void;
}

export class BatchRunner {
  readonly answers: FrameAnswer[] = [];
  /** Sum of the model's batch times, in ms. */
  busyMs = 0;
  error: Error | null = null;
  private pending: QueuedFrame[] = [];
  private readonly waiting: QueuedFrame[][] = [];
  private running: Promise<void> | null = null;
  private batchesTaken = 0;
  private roomWaiters: (() => void)[] = [];
  private dropped = false;

  constructor(private readonly options: BatchRunnerOptions) {}

  private get nextSize(): number {
    return this.batchesTaken === 0 ? this.options.firstBatch : this.options.batchSize;
  }

  /** Adds one decoded frame; a full batch is queued for the model. */
  add(frame: QueuedFrame): void {
    if (this.dropped || this.error) return;
    this.pending.push(frame);
    if (this.pending.length >= this.nextSize) this.enqueue();
  }

  /** Resolves when the queue has room for another batch (the decoder's back-pressure). */
  whenRoom(): Promise<void> {
    if (this.waiting.length < (this.options.maxWaiting ?? 1) || this.dropped || this.error) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Input is over: queue the partial batch and wait for every batch to be inferred. */
  async finish(): Promise<void> {
    if (this.pending.length > 0 && !this.dropped) this.enqueue();
    while (this.running) await this.running;
  }

  /** Budget spent: forget what is not yet running, and wait for the batch in flight. */
  async finishInFlight(): Promise<void> {
    this.dropped = true;
    this.pending = [];
    this.waiting.length = 0;
    this.wakeRoom();
    while (this.running) await this.running;
  }

  private enqueue(): void {
    this.waiting.push(this.pending);
    this.pending = [];
    this.batchesTaken += 1;
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let batch = this.waiting.shift(); batch; batch = this.waiting.shift()) {
        this.wakeRoom();
        const started = performance.now();
        const indices = batch.map((f) => f.index);
        // Only the detector holds the pixels from here on (a threaded one copies them at once).
        const pending = this.options.detector.detect(
          batch.map((f) => f.data),
          this.options.letterbox,
        );
        batch.length = 0;
        const detections = await pending;
        const ended = performance.now();
        this.busyMs += ended - started;
        indices.forEach((frameNumber, i) => this.answers.push({ frameNumber, objects: detections[i] ?? [] }));
        this.options.onBatch?.(ended, batch.length);
      }
    } catch (err) {
      this.error = err instanceof Error ? err : new Error(String(err));
      this.waiting.length = 0;
      this.wakeRoom();
    } finally {
      this.running = null;
    }
  }

  private wakeRoom(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}
