// One GET of a video (whole, or a prefix by Range), streamed: every body chunk goes to `onChunk` the
// moment it arrives. Redirects are followed (bounded, see redirects.ts). Whatever happens ends in a
// DownloadOutcome with a typed reason; nothing throws.

import type { Dispatcher } from 'undici';
import type { ChallengeError } from '../types.js';
import { abandonBody, discardBody, header, RedirectError, requestFollowingRedirects } from './redirects.js';

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
  /** Bytes this response announced (its Content-Length), when it did. */
  expectedBytes: number | null;
  contentType: string | null;
  etag: string | null;
  /** The URL that answered after redirects, and each redirect target in order. */
  finalUrl: string;
  redirects: string[];
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
  /** Bytes the response announced (Content-Length), once its headers came; null when it did not say. */
  readonly expectedBytes: number | null;
  readonly firstByteAt: number | null;
  /** The URL that answered, once redirects were followed (the requested one until then). */
  readonly finalUrl: string;
  readonly contentType: string | null;
  /** Ends the download early; `error` becomes the outcome's error (null: a deliberate, clean stop). */
  stop(error: ChallengeError | null): void;
}

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  ...CERT_CODES,
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
    expectedBytes: null,
    contentType: null,
    etag: null,
    finalUrl: req.url,
    redirects: [],
    headersAt: null,
    firstByteAt: null,
    endAt: null,
    error: null,
  };

  async function run(): Promise<DownloadOutcome> {
    try {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (req.rangeEnd !== null) headers.range = `bytes=0-${req.rangeEnd}`;
      const followed = await requestFollowingRedirects(req.url, {
        dispatcher: req.dispatcher,
        headers,
        signal: controller.signal,
        headersTimeout: req.idleTimeoutMs,
        bodyTimeout: req.idleTimeoutMs,
      });
      const res = followed.res;
      outcome.finalUrl = followed.finalUrl;
      outcome.redirects = followed.redirects;
      outcome.headersAt = performance.now();
      outcome.status = res.statusCode;
      outcome.etag = header(res.headers, 'etag');
      outcome.contentType = header(res.headers, 'content-type');
      outcome.fileSize = fileSizeOf(res.statusCode, res.headers);
      const length = header(res.headers, 'content-length');
      outcome.expectedBytes = length !== null && /^\d+$/.test(length) ? Number(length) : null;
      const from = followed.redirects.length > 0 ? `${followed.finalUrl} (redirected from ${req.url})` : req.url;
      const emptyBody = (status: number): DownloadOutcome => {
        outcome.error = {
          reason: 'http-status',
          message: `HTTP ${status} from ${from} has an empty body (0 bytes): there is no video to decode`,
          hint: 'check the URL: it should serve the mp4 itself',
        };
        return outcome;
      };
      if (res.statusCode >= 300) {
        await discardBody(res.body);
        outcome.error = {
          reason: 'http-status',
          message: `HTTP ${res.statusCode} from ${from}${res.statusCode < 400 ? ' (a redirect without a Location to follow)' : ''}`,
        };
        return outcome;
      }
      if (outcome.expectedBytes === 0) {
        abandonBody(res.body);
        return emptyBody(res.statusCode);
      }
      if (req.rangeEnd !== null && res.statusCode !== 206) {
        abandonBody(res.body);
        outcome.error = {
          reason: 'no-range',
          message: `asked ${from} for bytes=0-${req.rangeEnd} and got HTTP ${res.statusCode} (the server ignores Range)`,
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
      if (bytes === 0) return emptyBody(res.statusCode);
      outcome.complete = true;
      return outcome;
    } catch (err) {
      if (stopError !== undefined) outcome.error = stopError;
      else outcome.error = classify(err, outcome.finalUrl, outcome.status !== null, bytes, req.idleTimeoutMs, req.connectFailed?.() ?? false);
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
    get expectedBytes() {
      return outcome.expectedBytes;
    },
    get firstByteAt() {
      return outcome.firstByteAt;
    },
    get finalUrl() {
      return outcome.finalUrl;
    },
    get contentType() {
      return outcome.contentType;
    },
    stop,
  };
}

function classify(err: unknown, url: string, gotHeaders: boolean, bytes: number, idleTimeoutMs: number, connectFailed: boolean): ChallengeError {
  if (err instanceof RedirectError) return { reason: 'http-status', message: err.message, hint: 'point at the final URL of the video, or fix the redirects' };
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = [e.message, e.cause?.message].filter(Boolean).join(': ') || String(err);
  const idle = `${idleTimeoutMs / 1000} s`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return { reason: 'stall', message: `${url} sent no response within ${idle}` };
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return { reason: 'stall', message: `${url} stopped sending: no byte for ${idle} after ${bytes} bytes` };
  }
  if (!gotHeaders && (connectFailed || CONNECT_CODES.has(code))) {
    const error: ChallengeError = { reason: 'connect', message: `cannot connect to ${url}: ${message}${code ? ` (${code})` : ''}` };
    if (CERT_CODES.has(code)) error.hint = "the server's certificate is not trusted: pass it or its CA with --ca FILE";
    return error;
  }
  return {
    reason: 'reset',
    message: `the connection to ${url} broke ${gotHeaders ? `mid-body after ${bytes} bytes` : 'before the response'}: ${message}${code ? ` (${code})` : ''}`,
  };
}

function fileSizeOf(status: number, headers: Record<string, string | string[] | undefined>): number | null {
  if (status === 206) {
    const m = /\/(\d+)\s*$/.exec(header(headers, 'content-range') ?? '');
    return m ? Number(m[1]) : null;
  }
  const length = header(headers, 'content-length');
  return status === 200 && length !== null && /^\d+$/.test(length) ? Number(length) : null;
}
