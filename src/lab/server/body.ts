import { createReadStream } from 'node:fs';
import type { Fault } from './fault.js';
import type { Link } from './link.js';
import type { BodySink } from './types.js';

export type BodyOutcome = 'complete' | 'stalled' | 'reset' | 'aborted';

function waitForDrainOrClose(res: BodySink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function isGone(res: BodySink): boolean {
  return res.destroyed || (res.writableEnded && !res.writable);
}

/**
 * Sends file bytes [start, start+length) paced by the link, honouring backpressure; a stall or reset
 * fault cuts the body after its byte count. Reports each chunk written through `onBytes`.
 */
export async function sendFileBody(
  res: BodySink,
  file: string,
  start: number,
  length: number,
  link: Link,
  fault: Fault | null,
  onBytes: (n: number) => void,
): Promise<BodyOutcome> {
  const cut = fault?.kind === 'stall-after' || fault?.kind === 'reset-after' ? fault : null;
  const limit = cut === null ? length : Math.min(length, cut.bytes);
  if (limit > 0) {
    const stream = createReadStream(file, { start, end: start + limit - 1, highWaterMark: link.chunkBytes });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        await link.reserve(chunk.length);
        if (isGone(res)) return 'aborted';
        const ok = res.write(chunk);
        onBytes(chunk.length);
        if (!ok) await waitForDrainOrClose(res);
      }
    } finally {
      stream.destroy();
    }
  }
  if (isGone(res)) return 'aborted';
  if (cut !== null && limit < length) return cut.kind === 'stall-after' ? 'stalled' : 'reset';
  res.end();
  return 'complete';
}
