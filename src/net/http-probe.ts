// HTTP measurements over undici: a ranged download (TTFB, throughput, whether Range is honoured) and
// tiny ranged requests on the warm connection (the request round trip). Every read is bounded: by
// an idle limit (no byte for idleMs) and by a time limit, after which the bytes read so far are
// returned with the reason reading stopped.
import type { Dispatcher } from 'undici';
import { AutotuneError } from '../errors.js';
import { abandonBody, discardBody, header, RedirectError, requestFollowingRedirects } from '../pipeline/fetch/index.js';
import { EXIT_DOWNLOAD } from '../pipeline/failure.js';

/** Why a body was not read to its end: the time limit, silence past the idle limit, or a broken connection. */
export type StopReason = 'time-limit' | 'stall' | 'reset';

export interface RangedBody {
  status: number;
  contentRange: string | null;
  contentLength: number | null;
  /** The URL that answered (after redirects) and each redirect target. */
  finalUrl: string;
  redirects: string[];
  /** The first bytes of the response body (at most maxBytes). */
  body: Buffer;
  /** ms from the request to the response head and to the first body byte. */
  headMs: number;
  firstByteMs: number;
  /** ms from the first body byte to the last one read. */
  transferMs: number;
  /** Bytes that arrived with the first chunk (excluded from the transfer rate). */
  firstChunkBytes: number;
  /** Set when reading stopped before maxBytes (or the body's end), with what happened. */
  stopped: { reason: StopReason; message: string } | null;
}

export interface ReadLimits {
  /** Longest silence (no response, or no body byte) before reading stops as a stall. */
  idleMs?: number;
  /** Longest time for the whole request, headers and body. */
  timeLimitMs?: number;
}

const DEFAULT_IDLE_MS = 10_000;
const DEFAULT_TIME_LIMIT_MS = 30_000;

/** GET with `Range: bytes=start-end`; reads at most maxBytes of the body, then lets the rest go. */
export async function rangedGet(
  dispatcher: Dispatcher,
  url: string,
  start: number,
  end: number,
  maxBytes = end - start + 1,
  limits: ReadLimits = {},
): Promise<RangedBody> {
  const idleMs = limits.idleMs ?? DEFAULT_IDLE_MS;
  const timeLimitMs = limits.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const t0 = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeLimitMs);
  let followed;
  try {
    followed = await requestFollowingRedirects(url, {
      dispatcher,
      headers: { range: `bytes=${start}-${end}`, 'accept-encoding': 'identity' },
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
      signal: controller.signal,
    });
  } catch (err) {
    clearTimeout(timer);
    throw requestError(url, err, timedOut ? `no response within the ${seconds(timeLimitMs)} limit` : null, idleMs);
  }
  const res = followed.res;
  const headMs = performance.now() - t0;
  if (res.statusCode >= 400) {
    clearTimeout(timer);
    await discardBody(res.body);
    throw new AutotuneError('E_HTTP_STATUS', `GET ${followed.finalUrl} answered ${res.statusCode}`, {
      hint: 'check the URL',
      context: { status: res.statusCode },
      exitCode: EXIT_DOWNLOAD,
    });
  }
  const chunks: Buffer[] = [];
  let got = 0;
  let firstAt: number | null = null;
  let firstChunkBytes = 0;
  let lastAt = performance.now();
  let stopped: RangedBody['stopped'] = null;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const now = performance.now();
      if (firstAt === null) {
        firstAt = now;
        firstChunkBytes = chunk.length;
      }
      lastAt = now;
      const take = Math.min(chunk.length, maxBytes - got);
      chunks.push(chunk.subarray(0, take));
      got += take;
      if (got >= maxBytes) break;
    }
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const silentMs = performance.now() - lastAt;
    // At the time limit, a body that has been silent for long is a stall, not a slow link.
    if (timedOut && silentMs < Math.min(idleMs, timeLimitMs / 2)) {
      stopped = { reason: 'time-limit', message: `stopped at the ${seconds(timeLimitMs)} time limit after ${got} bytes` };
    } else if (timedOut) stopped = { reason: 'stall', message: `the server stopped sending: no byte for ${seconds(Math.round(silentMs / 100) * 100)} after ${got} bytes` };
    else if (code === 'UND_ERR_BODY_TIMEOUT') stopped = { reason: 'stall', message: `the server stopped sending: no byte for ${seconds(idleMs)} after ${got} bytes` };
    else stopped = { reason: 'reset', message: `the connection broke after ${got} bytes: ${(err as Error).message}${code ? ` (${code})` : ''}` };
  } finally {
    clearTimeout(timer);
  }
  abandonBody(res.body);
  const length = header(res.headers, 'content-length');
  return {
    status: res.statusCode,
    contentRange: header(res.headers, 'content-range'),
    contentLength: length === null ? null : Number(length),
    finalUrl: followed.finalUrl,
    redirects: followed.redirects,
    body: Buffer.concat(chunks),
    headMs,
    firstByteMs: (firstAt ?? lastAt) - t0,
    transferMs: lastAt - (firstAt ?? lastAt),
    firstChunkBytes,
    stopped,
  };
}

function requestError(url: string, err: unknown, timeLimit: string | null, idleMs: number): AutotuneError {
  if (err instanceof RedirectError) {
    return new AutotuneError('E_HTTP_STATUS', `GET ${url}: ${err.message}`, { hint: 'point at the final URL of the video, or fix the redirects', exitCode: EXIT_DOWNLOAD, cause: err });
  }
  const code = (err as { code?: string }).code ?? '';
  const what =
    timeLimit ?? (code === 'UND_ERR_HEADERS_TIMEOUT' ? `no response within ${seconds(idleMs)}` : `${(err as Error).message}${code ? ` (${code})` : ''}`);
  return new AutotuneError('E_NETWORK', `GET ${url} failed: ${what}`, {
    hint: 'check the URL and that the server is up',
    exitCode: EXIT_DOWNLOAD,
    cause: err,
  });
}

const seconds = (ms: number) => `${ms / 1000} s`;

/** Whether a response honours `bytes=start-end`: 206 with exactly that Content-Range. Also the total size. */
export function checkRange(res: Pick<RangedBody, 'status' | 'contentRange' | 'contentLength'>, start: number, end: number): { honoured: boolean; size: number | null } {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.contentRange ?? '');
  const total = match && match[3] !== '*' ? Number(match[3]) : null;
  if (res.status !== 206 || !match) return { honoured: false, size: res.status === 200 ? res.contentLength : total };
  const lastWanted = total === null ? end : Math.min(end, total - 1);
  return { honoured: Number(match[1]) === start && Number(match[2]) === lastWanted, size: total };
}
