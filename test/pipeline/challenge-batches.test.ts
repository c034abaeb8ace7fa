import { describe, expect, it } from 'vitest';
import { BatchRunner, type BatchDetector } from '../../src/pipeline/challenge/batches.js';
import { letterbox } from '../../src/pipeline/letterbox.js';

// A detector that records the batch sizes it is given and takes `ms` per batch.
function recorder(ms: number): BatchDetector & { sizes: number[]; running: number; maxRunning: number } {
  const d = {
    sizes: [] as number[],
    running: 0,
    maxRunning: 0,
    async detect(frames: Uint8Array[]) {
      d.sizes.push(frames.length);
      d.running += 1;
      d.maxRunning = Math.max(d.maxRunning, d.running);
      await new Promise((r) => setTimeout(r, ms));
      d.running -= 1;
      return frames.map(() => []);
    },
  };
  return d;
}

const lb = letterbox(640, 360, 64);
const frame = (index: number) => ({ index, data: new Uint8Array(1) });

describe('BatchRunner', () => {
  it('sends a small first batch, then full batches, then the remainder, one at a time', async () => {
    const detector = recorder(2);
    const runner = new BatchRunner({ detector, letterbox: lb, firstBatch: 2, batchSize: 5 });
    for (let i = 0; i < 14; i++) {
      runner.add(frame(i));
      await runner.whenRoom();
    }
    await runner.finish();
    expect(detector.sizes).toEqual([2, 5, 5, 2]);
    expect(detector.maxRunning).toBe(1);
    expect(runner.answers.map((a) => a.frameNumber)).toEqual(Array.from({ length: 14 }, (_, i) => i));
  });

  it('holds the producer back while a batch is waiting (bounded queue)', async () => {
    const detector = recorder(30);
    const runner = new BatchRunner({ detector, letterbox: lb, firstBatch: 1, batchSize: 1, maxWaiting: 1 });
    runner.add(frame(0)); // runs
    runner.add(frame(1)); // waits
    let released = false;
    const room = runner.whenRoom().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(released).toBe(false);
    await room;
    await runner.finish();
    expect(runner.answers).toHaveLength(2);
  });

  it('finishes only the batch in flight when told to stop', async () => {
    const detector = recorder(20);
    const runner = new BatchRunner({ detector, letterbox: lb, firstBatch: 2, batchSize: 2 });
    for (let i = 0; i < 5; i++) runner.add(frame(i)); // [0,1] in flight, [2,3] waiting, [4] pending
    await runner.finishInFlight();
    expect(runner.answers.map((a) => a.frameNumber)).toEqual([0, 1]);
    runner.add(frame(9));
    await runner.finish();
    expect(runner.answers).toHaveLength(2);
  });

  it('keeps a model error and stops taking frames', async () => {
    const runner = new BatchRunner({
      detector: { detect: async () => Promise.reject(new Error('bad tensor')) },
      letterbox: lb,
      firstBatch: 1,
      batchSize: 1,
    });
    runner.add(frame(0));
    await runner.finish();
    expect(runner.error?.message).toBe('bad tensor');
    expect(runner.answers).toHaveLength(0);
  });
});
