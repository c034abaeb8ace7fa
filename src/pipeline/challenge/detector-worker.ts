// Worker-thread side of the threaded detector: onnxruntime-node runs a session on the calling thread
// and blocks it, so the pipeline keeps inference off the main thread, where the download, the
// decoder's pipes and the stall watch must keep moving.

import { parentPort, workerData } from 'node:worker_threads';
import { openDetector, type DetectorOptions } from '../infer/index.js';
import type { Letterbox } from '../letterbox.js';

interface DetectMessage {
  type: 'detect';
  id: number;
  buffer: ArrayBuffer;
  count: number;
  frameBytes: number;
  letterbox: Letterbox;
}

const port = parentPort!;
try {
  const detector = await openDetector(workerData as DetectorOptions);
  port.postMessage({ type: 'ready', provider: detector.provider, providerNote: detector.providerNote });
  port.on('message', (message: DetectMessage | { type: 'close' }) => {
    if (message.type === 'close') {
      void detector.close().finally(() => port.close());
      return;
    }
    const frames = Array.from({ length: message.count }, (_, i) => new Uint8Array(message.buffer, i * message.frameBytes, message.frameBytes));
    detector.detect(frames, message.letterbox).then(
      (detections) => port.postMessage({ type: 'result', id: message.id, detections }),
      (err: Error) => port.postMessage({ type: 'error', id: message.id, message: err.message }),
    );
  });
} catch (err) {
  port.postMessage({ type: 'error', id: -1, message: err instanceof Error ? err.message : String(err) });
  port.close();
}
