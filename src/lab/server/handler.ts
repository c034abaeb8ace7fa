import { constants as h2 } from 'node:http2';
import type { Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { sendFileBody, type BodyOutcome } from './body.js';
import type { Fault } from './fault.js';
import type { Link } from './link.js';
import type { RequestRecord } from './options.js';
import { parseRange } from './range.js';
import { contentTypeOf, lookupStaticFile } from './static-file.js';
import { bodySink, type LabRequest, type LabResponse } from './types.js';

export interface HandlerContext {
  root: string;
  fault: Fault | null;
  linkFor(req: LabRequest): Link;
  record(entry: RequestRecord): void;
}

export function protocolOf(req: LabRequest): RequestRecord['protocol'] {
  if (req.httpVersionMajor === 2) return 'h2';
  return (req.socket as Partial<TLSSocket>).encrypted ? 'https/1.1' : 'http/1.1';
}

type Plan =
  | { kind: 'text'; status: number; body: string; headers?: Record<string, string> }
  | { kind: 'file'; status: 200 | 206; path: string; start: number; length: number; headers: Record<string, string> };

async function planResponse(req: LabRequest, ctx: HandlerContext): Promise<Plan> {
  const fault = ctx.fault;
  if (fault?.kind === 'status') {
    return { kind: 'text', status: fault.status, body: `lab fault: status ${fault.status}\n` };
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return { kind: 'text', status: 405, body: 'only GET and HEAD\n', headers: { allow: 'GET, HEAD' } };
  }
  const found = await lookupStaticFile(ctx.root, req.url ?? '/');
  if (found.kind === 'bad-path') return { kind: 'text', status: 400, body: 'bad path\n' };
  if (found.kind === 'missing') return { kind: 'text', status: 404, body: 'not found\n' };
  if (found.kind === 'directory') return { kind: 'text', status: 403, body: 'directories are not served\n' };
  const headers: Record<string, string> = {
    'content-type': contentTypeOf(found.path),
    'accept-ranges': fault?.kind === 'no-range' ? 'none' : 'bytes',
    etag: found.etag,
    'last-modified': found.lastModified,
  };
  const ifRange = req.headers['if-range'];
  const rangeHeader = fault?.kind === 'no-range' || (ifRange !== undefined && ifRange !== found.etag)
    ? undefined
    : req.headers.range;
  const range = parseRange(rangeHeader, found.size);
  if (range.kind === 'unsatisfiable') {
    return {
      kind: 'text',
      status: 416,
      body: 'range not satisfiable\n',
      headers: { 'content-range': `bytes */${found.size}`, 'accept-ranges': 'bytes' },
    };
  }
  if (range.kind === 'range') {
    const length = range.end - range.start + 1;
    headers['content-range'] = `bytes ${range.start}-${range.end}/${found.size}`;
    headers['content-length'] = String(length);
    return { kind: 'file', status: 206, path: found.path, start: range.start, length, headers };
  }
  headers['content-length'] = String(found.size);
  return { kind: 'file', status: 200, path: found.path, start: 0, length: found.size, headers };
}

/** Breaks the transport under a response so the client sees an error, not a short body. */
function breakTransport(req: LabRequest, res: LabResponse): void {
  if (req.httpVersionMajor === 2) (res as Http2ServerResponse).stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

/** Answers one request: static file with Range, link emulation and the configured fault. */
export async function handleRequest(req: LabRequest, res: LabResponse, ctx: HandlerContext): Promise<void> {
  const started = performance.now();
  const link = ctx.linkFor(req);
  let bytes = 0;
  let closed = false;
  (res as NodeJS.EventEmitter).on('error', () => {}); // a write racing a closed connection is not a crash
  res.once('close', () => {
    closed = true;
    const range = req.headers.range;
    ctx.record({
      method: req.method ?? '?',
      path: req.url ?? '/',
      range: typeof range === 'string' ? range : null,
      status: res.statusCode,
      protocol: protocolOf(req),
      bytes,
      ms: Math.round(performance.now() - started),
    });
  });
  try {
    const plan = await planResponse(req, ctx);
    await link.roundTrip();
    if (closed || res.destroyed) return; // the client left during the round trip
    if (plan.kind === 'text') {
      const body = Buffer.from(plan.body);
      res.writeHead(plan.status, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(body.length),
        ...plan.headers,
      });
      if (req.method === 'HEAD') res.end();
      else {
        bytes = body.length;
        res.end(body);
      }
      return;
    }
    res.writeHead(plan.status, plan.headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const outcome: BodyOutcome = await sendFileBody(bodySink(res), plan.path, plan.start, plan.length, link, ctx.fault, (n) => {
      bytes += n;
    });
    if (outcome === 'reset') {
      // Let the bytes already written leave before the connection breaks.
      await new Promise<void>((resolve) => {
        if (closed) return resolve();
        bodySink(res).on('close', resolve);
        bodySink(res).write(Buffer.alloc(0), () => resolve());
      });
      if (!closed) breakTransport(req, res);
    }
    // 'stalled': nothing more is sent; the client gives up or close() ends the connection.
  } catch (err) {
    if (closed) return;
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`lab server error: ${err instanceof Error ? err.message : String(err)}\n`);
    } else {
      breakTransport(req, res);
    }
  }
}

