import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import tls, { type TLSSocket } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import {
  parseFault,
  resolveLinkProfile,
  startLabServer,
  type LabServer,
  type LabServerOptions,
  type RequestRecord,
} from '../../src/lab/server/index.js';
import { BUCKET_BYTES } from '../../src/lab/server/link.js';
import { parseRange } from '../../src/lab/server/range.js';

const MB = 1_000_000;
let root: string; // holds `served/` (what the server sees) and a file outside it
let dir: string;
let big: Buffer; // 3 MB
let twoMb: Buffer;

// ALPN protocols of the connections undici opens, in order.
const alpn: string[] = [];
const onConnected = (message: unknown) => {
  const socket = (message as { socket: Partial<TLSSocket> }).socket;
  alpn.push(socket.alpnProtocol === undefined ? 'plain' : String(socket.alpnProtocol));
};

beforeAll(async () => {
  diagnostics.subscribe('undici:client:connected', onConnected);
  root = await mkdtemp(path.join(os.tmpdir(), 'lab-server-test-'));
  dir = path.join(root, 'served');
  await mkdir(path.join(dir, 'sub'), { recursive: true });
  big = randomBytes(3 * MB);
  twoMb = randomBytes(2 * MB);
  await writeFile(path.join(dir, 'big.mp4'), big);
  await writeFile(path.join(dir, 'two.bin'), twoMb);
  await writeFile(path.join(root, 'secret.txt'), 'outside the served folder');
});

afterAll(async () => {
  diagnostics.unsubscribe('undici:client:connected', onConnected);
  await rm(root, { recursive: true, force: true });
});

/** A server whose request records are kept, closed with the agents made for it. */
async function lab(options: Partial<LabServerOptions> = {}) {
  const records: RequestRecord[] = [];
  const lines: string[] = [];
  const server = await startLabServer({
    dir,
    onRequest: (r) => records.push(r),
    log: (l) => lines.push(l),
    ...options,
  });
  const agents: Agent[] = [];
  const agent = (allowH2 = true) => {
    const a = new Agent({ allowH2, connections: 1, connect: { ca: server.ca } });
    agents.push(a);
    return a;
  };
  const close = async () => {
    await Promise.all(agents.map((a) => a.destroy().catch(() => {})));
    await server.close();
  };
  return { server, records, lines, agent, close };
}

/** Request records are written when the server sees the response close, a moment after the client. */
async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = performance.now() + ms;
  while (!check() && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
}

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  error: (Error & { code?: string }) | undefined;
  /** ms from the request to the response headers */
  ttfb: number;
  ms: number;
}

/** GET (or HEAD) and read the whole body; a body error is returned, not thrown. With `idleMs`,
 * stops reading once no data came for that long. */
async function get(
  url: string,
  dispatcher: Dispatcher,
  options: { headers?: Record<string, string>; method?: 'GET' | 'HEAD'; idleMs?: number } = {},
): Promise<Got> {
  const t0 = performance.now();
  const res = await request(url, { dispatcher, method: options.method ?? 'GET', headers: options.headers ?? {} });
  const ttfb = performance.now() - t0;
  const chunks: Buffer[] = [];
  let error: Got['error'];
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    if (options.idleMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => res.body.destroy(), options.idleMs);
  };
  arm();
  try {
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      arm();
    }
  } catch (err) {
    error = err as Got['error'];
  } finally {
    clearTimeout(idle);
  }
  return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error, ttfb, ms: performance.now() - t0 };
}

describe('lab server: protocols and static files', () => {
  let ctx: Awaited<ReturnType<typeof lab>>;
  beforeAll(async () => {
    ctx = await lab();
  });
  afterAll(() => ctx.close());

  it('negotiates HTTP/2 on the TLS port with allowH2, HTTP/1.1 without, and plain HTTP/1.1 on the other port', async () => {
    expect(ctx.server.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(ctx.server.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await readFile(ctx.server.caPath, 'utf8')).toBe(ctx.server.ca);

    const before = alpn.length;
    const h2 = await get(`${ctx.server.httpsUrl}big.mp4?via=h2`, ctx.agent(true));
    const h1 = await get(`${ctx.server.httpsUrl}big.mp4?via=h1`, ctx.agent(false));
    const plain = await get(`${ctx.server.httpUrl}big.mp4?via=plain`, ctx.agent(true));
    expect(alpn.slice(before)).toEqual(['h2', 'http/1.1', 'plain']);
    for (const got of [h2, h1, plain]) {
      expect(got.status).toBe(200);
      expect(got.body.equals(big)).toBe(true);
    }
    await eventually(() => ctx.records.length >= 3);
    const protocolOf = (tag: string) => ctx.records.find((r) => r.path.endsWith(`via=${tag}`))?.protocol;
    expect([protocolOf('h2'), protocolOf('h1'), protocolOf('plain')]).toEqual(['h2', 'https/1.1', 'http/1.1']);
    expect(ctx.lines.some((l) => /^GET \/big\.mp4\?via=h2 - 200 h2 3000000B \d+ms$/.test(l))).toBe(true);
  });

  it.each([
    ['h2', true],
    ['https/1.1', false],
  ])('answers ranges byte-exact over %s', async (_name, allowH2) => {
    const agent = ctx.agent(allowH2);
    const url = `${ctx.server.httpsUrl}big.mp4`;
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=1000000-1999999', 1_000_000, 1_999_999],
      ['bytes=2999000-', 2_999_000, big.length - 1],
      ['bytes=-5000', big.length - 5000, big.length - 1],
      ['bytes=2999990-4000000', 2_999_990, big.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const got = await get(url, agent, { headers: { range } });
      expect(got.status, range).toBe(206);
      expect(got.body.equals(big.subarray(start, end + 1)), range).toBe(true);
      expect(got.headers['content-range']).toBe(`bytes ${start}-${end}/${big.length}`);
      expect(got.headers['content-length']).toBe(String(end - start + 1));
      expect(got.headers['accept-ranges']).toBe('bytes');
      expect(got.headers['etag']).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect(got.headers['content-type']).toBe('video/mp4');
    }
    const unsatisfiable = await get(url, agent, { headers: { range: `bytes=${big.length}-` } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers['content-range']).toBe(`bytes */${big.length}`);
  });

  it('sends full-body headers, an empty HEAD body and a stable ETag; a stale If-Range gets the whole file', async () => {
    const agent = ctx.agent(true);
    const url = `${ctx.server.httpsUrl}big.mp4`;
    const head = await get(url, agent, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(big.length));
    expect(head.headers['accept-ranges']).toBe('bytes');
    const etag = String(head.headers['etag']);
    const ranged = await get(url, agent, { headers: { range: 'bytes=0-9', 'if-range': etag } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['etag']).toBe(etag);
    const stale = await get(url, agent, { headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(big.length);
  });

  it('answers 404 for a missing file, refuses folders and never serves outside the folder', async () => {
    const agent = ctx.agent(false);
    expect((await get(`${ctx.server.httpUrl}nope.mp4`, agent)).status).toBe(404);
    expect((await get(`${ctx.server.httpUrl}sub`, agent)).status).toBe(403);
    expect((await get(`${ctx.server.httpUrl}sub/`, agent)).status).toBe(403);
    for (const sneaky of ['%2e%2e/secret.txt', '..%2fsecret.txt', '%2e%2e%2f%2e%2e%2fsecret.txt']) {
      const got = await get(`${ctx.server.httpUrl}${sneaky}`, agent);
      expect(got.status, sneaky).not.toBe(200);
      expect(got.body.toString()).not.toContain('outside the served folder');
    }
  });
});

describe('lab server: faults', () => {
  it('no-range answers 200 with the whole body to a Range request', async () => {
    const ctx = await lab({ fault: 'no-range' });
    try {
      for (const allowH2 of [true, false]) {
        const got = await get(`${ctx.server.httpsUrl}big.mp4`, ctx.agent(allowH2), { headers: { range: 'bytes=0-99' } });
        expect(got.status).toBe(200);
        expect(got.headers['content-range']).toBeUndefined();
        expect(got.body.equals(big)).toBe(true);
      }
    } finally {
      await ctx.close();
    }
  });

  it('stall-after sends exactly that many bytes, then nothing', async () => {
    const ctx = await lab({ fault: { kind: 'stall-after', bytes: 100_000 } });
    try {
      for (const [base, allowH2] of [
        [ctx.server.httpsUrl, true],
        [ctx.server.httpUrl, false],
      ] as const) {
        const got = await get(`${base}big.mp4`, ctx.agent(allowH2), { idleMs: 400 });
        expect(got.status).toBe(200);
        expect(got.headers['content-length']).toBe(String(big.length));
        expect(got.body.length).toBe(100_000);
        expect(got.body.equals(big.subarray(0, 100_000))).toBe(true);
      }
    } finally {
      await ctx.close();
    }
  });

  it('close() ends a stalled connection promptly and the client sees an error', async () => {
    const ctx = await lab({ fault: 'stall-after=50000' });
    const res = await request(`${ctx.server.httpsUrl}big.mp4`, { dispatcher: ctx.agent(true) });
    let received = 0;
    const reading = (async () => {
      for await (const chunk of res.body) {
        received += (chunk as Buffer).length;
        if (received >= 50_000) void ctx.server.close();
      }
    })();
    await expect(reading).rejects.toThrow();
    expect(received).toBe(50_000);
    await ctx.close();
  });

  it('reset-after breaks the body read after that many bytes', async () => {
    const ctx = await lab({ fault: 'reset-after=100000' });
    try {
      const h1 = await get(`${ctx.server.httpUrl}big.mp4`, ctx.agent(false));
      expect(h1.error).toBeDefined();
      expect(h1.body.length).toBe(100_000);
      const h2 = await get(`${ctx.server.httpsUrl}big.mp4`, ctx.agent(true), { headers: { range: 'bytes=1000-' } });
      expect(h2.status).toBe(206);
      expect(h2.error).toBeDefined();
      expect(h2.body.length).toBeLessThanOrEqual(100_000);
      expect(h2.body.equals(big.subarray(1000, 1000 + h2.body.length))).toBe(true);
    } finally {
      await ctx.close();
    }
  });

  it('status=503 answers 503 on both ports', async () => {
    const ctx = await lab({ fault: 'status=503' });
    try {
      for (const url of [ctx.server.httpsUrl, ctx.server.httpUrl]) {
        const got = await get(`${url}big.mp4`, ctx.agent(true));
        expect(got.status).toBe(503);
        expect(got.body.toString()).toContain('503');
      }
      await eventually(() => ctx.records.length === 2);
      expect(ctx.records.map((r) => r.status)).toEqual([503, 503]);
    } finally {
      await ctx.close();
    }
  });
});

describe('lab server: link emulation', () => {
  it('holds the bandwidth limit per connection, shared by HTTP/2 streams (lower bounds)', async () => {
    const rateMbps = 32; // 4 MB/s
    const bytesPerSec = (rateMbps * MB) / 8;
    const ctx = await lab({ profile: 'lan', rateMbps });
    const slack = (BUCKET_BYTES + 16 * 1024) / bytesPerSec + 0.01; // the bucket's burst, one chunk, timer rounding
    try {
      const one = await get(`${ctx.server.httpUrl}two.bin`, ctx.agent(false));
      expect(one.body.equals(twoMb)).toBe(true);
      expect(one.ms / 1000).toBeGreaterThanOrEqual(twoMb.length / bytesPerSec - slack);

      const agent = ctx.agent(true);
      await get(`${ctx.server.httpsUrl}nope`, agent); // open the session first
      const t0 = performance.now();
      const both = await Promise.all([
        get(`${ctx.server.httpsUrl}two.bin`, agent, { headers: { range: 'bytes=0-999999' } }),
        get(`${ctx.server.httpsUrl}two.bin`, agent, { headers: { range: 'bytes=1000000-' } }),
      ]);
      const elapsed = (performance.now() - t0) / 1000;
      expect(Buffer.concat(both.map((g) => g.body)).equals(twoMb)).toBe(true);
      const h2Records = () => ctx.records.filter((r) => r.path === '/two.bin' && r.protocol === 'h2');
      await eventually(() => h2Records().length === 2);
      expect(h2Records()).toHaveLength(2);
      expect(elapsed).toBeGreaterThanOrEqual(twoMb.length / bytesPerSec - slack);
    } finally {
      await ctx.close();
    }
  });

  it('adds the RTT at connection setup and before each response (lower bounds)', async () => {
    const rttMs = 150;
    const ctx = await lab({ rttMs });
    try {
      // The TLS handshake alone waits one RTT (the server reads the ClientHello late).
      const t0 = performance.now();
      const socket = tls.connect({ host: '127.0.0.1', port: Number(new URL(ctx.server.httpsUrl).port), ca: ctx.server.ca });
      await once(socket, 'secureConnect');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(rttMs - 2);
      socket.destroy();
      for (const [base, allowH2] of [
        [ctx.server.httpsUrl, true],
        [ctx.server.httpUrl, false],
      ] as const) {
        const agent = ctx.agent(allowH2);
        const fresh = await get(`${base}big.mp4`, agent, { headers: { range: 'bytes=0-0' } });
        expect(fresh.status).toBe(206);
        expect(fresh.ttfb).toBeGreaterThanOrEqual(2 * rttMs - 2);
        const reused = await get(`${base}big.mp4`, agent, { headers: { range: 'bytes=0-0' } });
        expect(reused.ttfb).toBeGreaterThanOrEqual(rttMs - 2);
      }
    } finally {
      await ctx.close();
    }
  });

  it('survives a client that leaves mid-body and logs the bytes it sent', async () => {
    const ctx = await lab({ rateMbps: 16 });
    try {
      const agent = ctx.agent(false);
      const res = await request(`${ctx.server.httpUrl}two.bin?leave`, { dispatcher: agent });
      let received = 0;
      for await (const chunk of res.body) {
        received += (chunk as Buffer).length;
        if (received >= 100_000) break; // destroys the body: the connection closes
      }
      await eventually(() => ctx.records.length === 1);
      expect(ctx.records[0]).toMatchObject({ path: '/two.bin?leave', status: 200 });
      expect(ctx.records[0]!.bytes).toBeLessThan(twoMb.length);
      const after = await get(`${ctx.server.httpUrl}two.bin`, agent, { headers: { range: 'bytes=0-9' } });
      expect(after.body.equals(twoMb.subarray(0, 10))).toBe(true);
    } finally {
      await ctx.close();
    }
  });

  it('resolves the named profiles and overrides', () => {
    expect(resolveLinkProfile('seed-slow')).toMatchObject({ rateBytesPerSec: 700_000, rttMs: 100 });
    expect(resolveLinkProfile('fork')).toMatchObject({ rateBytesPerSec: 5_000_000, rttMs: 60 });
    expect(resolveLinkProfile('lan')).toMatchObject({ rateBytesPerSec: null, rttMs: 0 });
    expect(resolveLinkProfile('fork', { rateMbps: 8, rttMs: 5 })).toMatchObject({ rateBytesPerSec: 1_000_000, rttMs: 5 });
  });
});

describe('lab server: options', () => {
  const rejects = async (options: Partial<LabServerOptions>, code: string, pattern: RegExp) => {
    const err = await startLabServer({ dir, ...options }).then(
      (s) => s.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AutotuneError);
    expect((err as AutotuneError).code).toBe(code);
    expect((err as AutotuneError).toLine()).toMatch(pattern);
  };

  it('rejects an unknown profile, a bad fault, a missing folder, with what to do', async () => {
    await rejects({ profile: 'dialup' }, 'E_USAGE', /"dialup".*lan, fork, seed-slow/);
    await rejects({ fault: 'explode' }, 'E_USAGE', /"explode".*no-range, stall-after=BYTES/);
    await rejects({ rateMbps: -1 }, 'E_USAGE', /rate-mbps/);
    await rejects({ dir: path.join(root, 'missing') }, 'E_NOT_FOUND', /autotune samples make/);
  });

  it('names the port that is in use and suggests another', async () => {
    const first = await lab();
    try {
      const port = Number(new URL(first.server.httpUrl).port);
      await rejects({ httpPort: port }, 'E_PORT_IN_USE', new RegExp(`port ${port} .*in use.*--http-port 0`));
    } finally {
      await first.close();
    }
  });

  it('parses fault specs and ranges', () => {
    expect(parseFault('no-range')).toEqual({ kind: 'no-range' });
    expect(parseFault('stall-after=65536')).toEqual({ kind: 'stall-after', bytes: 65536 });
    expect(parseFault('reset-after=0')).toEqual({ kind: 'reset-after', bytes: 0 });
    expect(parseFault('status=503')).toEqual({ kind: 'status', status: 503 });
    for (const bad of ['stall-after', 'stall-after=1k', 'status=99', 'status=abc', 'no-range=1', '']) {
      expect(() => parseFault(bad), bad).toThrow(AutotuneError);
    }
    expect(parseRange('bytes=0-0', 10)).toEqual({ kind: 'range', start: 0, end: 0 });
    expect(parseRange('bytes=-20', 10)).toEqual({ kind: 'range', start: 0, end: 9 });
    expect(parseRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-2', 10)).toEqual({ kind: 'none' });
    expect(parseRange('bytes=0-1,4-5', 10)).toEqual({ kind: 'none' });
    expect(parseRange('items=0-1', 10)).toEqual({ kind: 'none' });
  });
});
