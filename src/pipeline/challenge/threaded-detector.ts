// A detector whose model runs in a worker thread (see detector-worker.ts). Each batch is copied once
// into a transferable buffer; the answer comes back as plain detections.

import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AutotuneError, type ErrorCode } from '../../errors.js';
import type { DetectorOptions } from '../infer/index.js';
import type { Letterbox } from '../letterbox.js';
import type { Detection } from '../types.js';
import type { ChallengeDetector } from './run.js';

export interface ThreadedDetector extends ChallengeDetector {
  providerNote: string | null;
  /** `conf` overrides the threshold the detector was opened with, for this call. */
  detect(frames: Uint8Array[], lb: Letterbox, conf?: number): Promise<Detection[][]>;
  close(): Promise<void>;
}

type Reply =
  | { type: 'ready'; provider: string; providerNote: string | null }
  | { type: 'result'; id: number; detections: Detection[][] }
  | { type: 'error'; id: number; message: string; code?: ErrorCode; hint?: string };

/**
 * `cpuModelBatch`: on the CPU provider, the most frames given to the model at once (a batch is split);
 * null gives every batch whole.
 */
export async function openThreadedDetector(options: DetectorOptions, cpuModelBatch: number | null = null): Promise<ThreadedDetector> {
  const workerData = { options, cpuModelBatch };
  const entry = new URL(`./detector-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  // From source (tests, tsx) the worker registers the TypeScript loader itself before loading its entry:
  // a loader given in a worker's execArgv is not applied to its first module on Node 20.
  const worker = entry.pathname.endsWith('.ts')
    ? new Worker(
        `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`,
        { eval: true, workerData },
      )
    : new Worker(fileURLToPath(entry), { workerData });
  const pending = new Map<number, { resolve(d: Detection[][]): void; reject(e: Error): void }>();
  let nextId = 0;
  let exited: Error | null = null;
  const ready = new Promise<{ provider: string; providerNote: string | null }>((resolve, reject) => {
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'ready') return resolve(reply);
      if (reply.type === 'error' && reply.id === -1) {
        return reject(new AutotuneError('E_MODEL_LOAD', reply.message, { hint: reply.hint ?? 'check --model' }));
      }
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.type === 'result') waiter?.resolve(reply.detections);
      else if (reply.type === 'error') {
        // A typed error of the model (e.g. E_MODEL_LAYOUT) reads as it does in-process, hint included.
        waiter?.reject(reply.code ? new AutotuneError(reply.code, reply.message, reply.hint ? { hint: reply.hint } : {}) : new Error(reply.message));
      }
    });
    worker.on('error', (err) => {
      exited = err;
      reject(err);
      for (const w of pending.values()) w.reject(err);
      pending.clear();
    });
    worker.on('exit', (code) => {
      exited ??= new Error(`the inference thread exited (code ${code})`);
      reject(exited);
      for (const w of pending.values()) w.reject(exited);
      pending.clear();
    });
  });
  const info = await ready;
  return {
    provider: info.provider,
    providerNote: info.providerNote,
    detect(frames: Uint8Array[], lb: Letterbox, conf?: number): Promise<Detection[][]> {
      if (exited) return Promise.reject(exited);
      const frameBytes = frames[0]?.byteLength ?? 0;
      const buffer = new ArrayBuffer(frameBytes * frames.length);
      const view = new Uint8Array(buffer);
      frames.forEach((f, i) => view.set(f, i * frameBytes));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'detect', id, buffer, count: frames.length, frameBytes, letterbox: lb, conf }, [buffer]);
      });
    },
    async close() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
