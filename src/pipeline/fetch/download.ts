// One GET of a video (whole, or a prefix by Range), streamed: every body chunk goes to `onChunk` the
// moment it arrives. Whatever happens ends in a DownloadOutcome with a typed reason; nothing throws.

import { request, type Dispatcher } from 'undici';
import type { ChallengeError } from '../types.js';

export interface DownloadRequest {
  url: string;
  dispatcher: Dispatcher;
  /** Ask for bytes 0..rangeEnd (inclusive) with a Range header; null downloads the whole file. */
  rangeEnd: number | null;
  onChunk(chunk: Buffer): void;
  /** Upper bound for waiting on headers or on the next body chunk (ms). */
  idleTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** True when the connector saw a connection fail during this download (decides 'connect' vs 'reset'). */
  connectFailed?: () => boolean;
}

export interface DownloadOutcome {
  status: number | null;
  bytes: number;
  /** The body ended normally (every byte asked for arrived). */
  complete: boolean;
  /** Size of the whole file, from Content-Range or Content-Length, when the server said. */
  fileSize: number | null;
  etag: string | null;
  /** performance.now() of the response headers, the first body byte and the end. */
  headersAt: number | null;
  firstByteAt: number | null;
  endAt: number | null;
  error: ChallengeError | null;
}

export interface Download {
  done: Promise<DownloadOutcome>;
  readonly bytes: number;
  readonly lastByteAt: number | null;
  readonly finished: boolean;
  /** Size of the whole file once the response headers said it (Content-Range / Content-Length). */
  readonly fileSize: number | null;
  /** Ends the download early; `error` becomes the outcome's error (null: a deliberate, clean stop). */
  stop(error: ChallengeError | null): void;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

export function startDownload(req: DownloadRequest): Download {
  const controller = new AbortController();
  let stopError: ChallengeError | null | undefined;
  let bytes = 0;
  let lastByteAt: number | null = null;
  let finished = false;
  const onExternalAbort = () => stop({ reason: 'internal', message: 'the challenge was aborted' });
  req.signal?.addEventListener('abort', onExternalAbort, { once: true });

  function stop(error: ChallengeError | null): void {
    if (finished || stopError !== undefined) return;
    stopError = error;
    controller.abort();
  }

  const outcome: DownloadOutcome = {
    status: null,
    bytes: 0,
    complete: false,
    fileSize: null,
    etag: null,
    headersAt: null,
    firstByteAt: null,
    endAt: null,
    error: null,
  };

  async function run(): Promise<DownloadOutcome> {
    try {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (req.rangeEnd !== null) headers.range = `bytes=0-${req.rangeEnd}`;
      const res = await request(req.url, {
        dispatcher: req.dispatcher,
        headers,
        signal: controller.signal,
        headersTimeout: req.idleTimeoutMs,
        bodyTimeout: req.idleTimeoutMs,
      });
      outcome.headersAt = performance.now();
      outcome.status = res.statusCode;
      outcome.etag = header(res.headers, 'etag');
      outcome.fileSize = fileSizeOf(res.statusCode, res.headers);
      if (res.statusCode >= 300) {
        await res.body.dump().catch(() => {});
        outcome.error = { reason: 'http-status', message: `HTTP ${res.statusCode} from ${req.url}` };
        return outcome;
      }
      if (req.rangeEnd !== null && res.statusCode !== 206) {
        res.body.destroy();
        outcome.error = {
          reason: 'no-range',
          message: `asked for bytes=0-${req.rangeEnd} and got HTTP ${res.statusCode} (the server ignores Range)`,
        };
        return outcome;
      }
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const now = performance.now();
        outcome.firstByteAt ??= now;
        lastByteAt = now;
        bytes += chunk.length;
        req.onChunk(chunk);
      }
      outcome.complete = true;
      return outcome;
    } catch (err) {
      if (stopError !== undefined) outcome.error = stopError;
      else outcome.error = classify(err, outcome.status !== null, req.connectFailed?.() ?? false);
      return outcome;
    } finally {
      finished = true;
      outcome.bytes = bytes;
      outcome.endAt = performance.now();
      req.signal?.removeEventListener('abort', onExternalAbort);
    }
  }

  return {
    done: run(),
    get bytes() {
      return bytes;
    },
    get lastByteAt() {
      return lastByteAt;
    },
    get finished() {
      return finished;
    },
    get fileSize() {
      return outcome.fileSize;
    },
    stop,
  };
}

function classify(err: unknown, gotHeaders: boolean, connectFailed: boolean): ChallengeError {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = [e.message, e.cause?.message].filter(Boolean).join(': ') || String(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { reason: 'stall', message: `no ${gotHeaders ? 'body bytes' : 'response'} within the idle timeout (${code})` };
  }
  if (!gotHeaders && (connectFailed || CONNECT_CODES.has(code))) {
    return { reason: 'connect', message: `cannot connect: ${message}${code ? ` (${code})` : ''}` };
  }
  return { reason: 'reset', message: `connection broke ${gotHeaders ? 'mid-body' : 'before the response'}: ${message}${code ? ` (${code})` : ''}` };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function fileSizeOf(status: number, headers: Record<string, string | string[] | undefined>): number | null {
  if (status === 206) {
    const m = /\/(\d+)\s*$/.exec(header(headers, 'content-range') ?? '');
    return m ? Number(m[1]) : null;
  }
  const length = header(headers, 'content-length');
  return status === 200 && length !== null && /^\d+$/.test(length) ? Number(length) : null;
}
