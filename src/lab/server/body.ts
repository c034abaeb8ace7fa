import { createReadStream } from 'node:fs';
import type { Fault } from './fault.js';
import type { Link } from './link.js';
import type { BodySink } from './types.js';

export type BodyOutcome = 'complete' | 'stalled' | 'reset' | 'aborted';

/** Tracks whether the response closed (client gone, connection destroyed) while the body is sent. */
function watchClose(res: BodySink) {
  let closed = res.destroyed;
  const onClose = () => {
    closed = true;
  };
  res.on('close', onClose);
  return {
    get gone() {
      return closed || res.destroyed || (res.writableEnded && !res.writable);
    },
    drainOrClose: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      }),
    stop: () => res.off('close', onClose),
  };
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
  const watch = watchClose(res);
  // Read in large blocks (fewer file-system round trips), write in the link's small chunks.
  const stream = limit > 0 ? createReadStream(file, { start, end: start + limit - 1, highWaterMark: 256 * 1024 }) : null;
  try {
    for await (const block of (stream ?? []) as AsyncIterable<Buffer>) {
      for (let at = 0; at < block.length; at += link.chunkBytes) {
        const chunk = block.subarray(at, at + link.chunkBytes);
        await link.reserve(chunk.length);
        if (watch.gone) return 'aborted';
        const ok = res.write(chunk);
        onBytes(chunk.length);
        if (!ok) await watch.drainOrClose();
      }
    }
    if (watch.gone) return 'aborted';
    if (cut !== null && limit < length) return cut.kind === 'stall-after' ? 'stalled' : 'reset';
    res.end();
    return 'complete';
  } finally {
    stream?.destroy();
    watch.stop();
  }
}
