// HTTP measurements over undici: a ranged download (TTFB, throughput, whether Range is honoured) and
// tiny ranged requests on the warm connection (the request round trip).
import { request, type Dispatcher } from 'undici';
import { AutotuneError } from '../errors.js';

export interface RangedBody {
  status: number;
  contentRange: string | null;
  contentLength: number | null;
  /** The first bytes of the response body (at most maxBytes). */
  body: Buffer;
  /** ms from the request to the response head and to the first body byte. */
  headMs: number;
  firstByteMs: number;
  /** ms from the first body byte to the last one read. */
  transferMs: number;
  /** Bytes that arrived with the first chunk (excluded from the transfer rate). */
  firstChunkBytes: number;
}

/** GET with `Range: bytes=start-end`; reads at most maxBytes of the body, then lets the rest go. */
export async function rangedGet(dispatcher: Dispatcher, url: string, start: number, end: number, maxBytes = end - start + 1): Promise<RangedBody> {
  const t0 = performance.now();
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { dispatcher, headers: { range: `bytes=${start}-${end}` }, headersTimeout: 30_000, bodyTimeout: 30_000 });
  } catch (err) {
    throw new AutotuneError('E_NETWORK', `GET ${url} failed: ${(err as Error).message}`, {
      hint: 'check the URL and that the server is up',
      cause: err,
    });
  }
  const headMs = performance.now() - t0;
  if (res.statusCode >= 400) {
    await res.body.dump();
    throw new AutotuneError('E_HTTP_STATUS', `GET ${url} answered ${res.statusCode}`, { hint: 'check the URL', context: { status: res.statusCode } });
  }
  const chunks: Buffer[] = [];
  let got = 0;
  let firstAt: number | null = null;
  let firstChunkBytes = 0;
  let lastAt = performance.now();
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
  if (got >= maxBytes) res.body.destroy();
  const header = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  };
  const length = header('content-length');
  return {
    status: res.statusCode,
    contentRange: header('content-range'),
    contentLength: length === null ? null : Number(length),
    body: Buffer.concat(chunks),
    headMs,
    firstByteMs: (firstAt ?? lastAt) - t0,
    transferMs: lastAt - (firstAt ?? lastAt),
    firstChunkBytes,
  };
}

/** Whether a response honours `bytes=start-end`: 206 with exactly that Content-Range. Also the total size. */
export function checkRange(res: Pick<RangedBody, 'status' | 'contentRange' | 'contentLength'>, start: number, end: number): { honoured: boolean; size: number | null } {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.contentRange ?? '');
  const total = match && match[3] !== '*' ? Number(match[3]) : null;
  if (res.status !== 206 || !match) return { honoured: false, size: res.status === 200 ? res.contentLength : total };
  const lastWanted = total === null ? end : Math.min(end, total - 1);
  return { honoured: Number(match[1]) === start && Number(match[2]) === lastWanted, size: total };
}
