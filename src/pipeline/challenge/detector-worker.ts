// Worker-thread side of the threaded detector: onnxruntime-node runs a session on the calling thread
// and blocks it, so the pipeline keeps inference off the main thread, where the download, the
// decoder's pipes and the stall watch must keep moving.

import { parentPort, workerData } from 'node:worker_threads';
import { isAutotuneError } from '../../errors.js';
import { openDetector, type DetectorOptions } from '../infer/index.js';
import type { Detection } from '../types.js';
import type { Letterbox } from '../letterbox.js';

interface DetectMessage {
  type: 'detect';
  id: number;
  buffer: ArrayBuffer;
  count: number;
  frameBytes: number;
  letterbox: Letterbox;
  /** The challenge's confidence threshold (one detector serves every threshold of its image size). */
  conf?: number;
}

const port = parentPort!;

/** A typed error's code and hint (what to do) do not survive the thread boundary by themselves: they go along as data. */
function errorReply(id: number, err: unknown) {
  const message = err instanceof Error ? err.message : String(err);
  if (!isAutotuneError(err)) return { type: 'error', id, message };
  return { type: 'error', id, message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) };
}
const { options, cpuModelBatch } = workerData as { options: DetectorOptions; cpuModelBatch: number | null };
try {
  const detector = await openDetector(options);
  await detector.warmUp();
  // On the CPU provider onnxruntime's memory grows with the batch (every activation of every frame is
  // live at once) while its throughput does not, so a large batch goes to the model in slices.
  const slice = detector.provider === 'cpu' && cpuModelBatch ? cpuModelBatch : Infinity;
  const detect = async (frames: Uint8Array[], lb: Letterbox, conf?: number): Promise<Detection[][]> => {
    const out: Detection[][] = [];
    for (let i = 0; i < frames.length; i += slice) out.push(...(await detector.detect(frames.slice(i, i + slice), lb, conf)));
    return out;
  };
  port.postMessage({ type: 'ready', provider: detector.provider, providerNote: detector.providerNote });
  port.on('message', (message: DetectMessage | { type: 'close' }) => {
    if (message.type === 'close') {
      void detector.close().finally(() => port.close());
      return;
    }
    const frames = Array.from({ length: message.count }, (_, i) => new Uint8Array(message.buffer, i * message.frameBytes, message.frameBytes));
    detect(frames, message.letterbox, message.conf).then(
      (detections) => port.postMessage({ type: 'result', id: message.id, detections }),
      (err: unknown) => port.postMessage(errorReply(message.id, err)),
    );
  });
} catch (err) {
  port.postMessage(errorReply(-1, err));
  port.close();
}
