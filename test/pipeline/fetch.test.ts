import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { ConnectionPool, openTrackedAgent, startDownload, type DownloadOutcome } from '../../src/pipeline/fetch/index.js';
import { labClip } from '../helpers/lab-fixtures.js';

let clipPath: string;
let clipBytes: Buffer;
const servers: LabServer[] = [];

async function server(options: { profile?: string; fault?: string; rttMs?: number } = {}): Promise<LabServer> {
  const s = await startLabServer({ dir: dirname(clipPath), port: 0, httpPort: 0, ...options });
  servers.push(s);
  return s;
}

async function fetchWith(
  url: string,
  options: { h2?: boolean; ca?: string; rangeEnd?: number | null; idleTimeoutMs?: number } = {},
): Promise<{ outcome: DownloadOutcome; body: Buffer; protocol: string | null }> {
  const tracked = openTrackedAgent({ allowH2: options.h2 ?? false, ca: options.ca });
  const chunks: Buffer[] = [];
  try {
    const dl = startDownload({
      url,
      dispatcher: tracked.agent,
      rangeEnd: options.rangeEnd ?? null,
      onChunk: (c) => chunks.push(c),
      idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    });
    const outcome = await dl.done;
    return { outcome, body: Buffer.concat(chunks), protocol: tracked.protocol };
  } finally {
    await tracked.close();
  }
}

beforeAll(async () => {
  clipPath = (await labClip()).path;
  clipBytes = readFileSync(clipPath);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('startDownload against the lab server', () => {
  it('downloads the whole clip over HTTP/2 and over HTTP/1.1 as asked', async () => {
    const s = await server();
    const url = `${s.httpsUrl}${basename(clipPath)}`;
    const h2 = await fetchWith(url, { h2: true, ca: s.ca });
    expect(h2.outcome).toMatchObject({ status: 200, complete: true, error: null, bytes: clipBytes.length, fileSize: clipBytes.length });
    expect(h2.body.equals(clipBytes)).toBe(true);
    expect(h2.protocol).toBe('h2');
    const h1 = await fetchWith(url, { h2: false, ca: s.ca });
    expect(h1.protocol).toBe('http/1.1');
    expect(h1.body.equals(clipBytes)).toBe(true);
    const plain = await fetchWith(`${s.httpUrl}${basename(clipPath)}`, { h2: true });
    expect(plain.protocol).toBe('http/1.1');
    expect(plain.outcome.complete).toBe(true);
  });

  it('downloads a prefix with Range', async () => {
    const s = await server();
    const got = await fetchWith(`${s.httpsUrl}${basename(clipPath)}`, { h2: true, ca: s.ca, rangeEnd: 9999 });
    expect(got.outcome).toMatchObject({ status: 206, complete: true, bytes: 10_000, fileSize: clipBytes.length });
    expect(got.body.equals(clipBytes.subarray(0, 10_000))).toBe(true);
  });

  it('reports a server that ignores Range as no-range', async () => {
    const s = await server({ fault: 'no-range' });
    const got = await fetchWith(`${s.httpsUrl}${basename(clipPath)}`, { ca: s.ca, rangeEnd: 9999 });
    expect(got.outcome.status).toBe(200);
    expect(got.outcome.error?.reason).toBe('no-range');
  });

  it('reports 503 as http-status', async () => {
    const s = await server({ fault: 'status=503' });
    const got = await fetchWith(`${s.httpsUrl}${basename(clipPath)}`, { ca: s.ca });
    expect(got.outcome.error).toEqual({ reason: 'http-status', message: `HTTP 503 from ${s.httpsUrl}${basename(clipPath)}` });
  });

  it.each([true, false])('reports a connection broken mid-body as reset (h2=%s)', async (h2) => {
    const s = await server({ fault: 'reset-after=20000' });
    const got = await fetchWith(`${s.httpsUrl}${basename(clipPath)}`, { h2, ca: s.ca });
    expect(got.outcome.error?.reason).toBe('reset');
    expect(got.outcome.complete).toBe(false);
    expect(got.outcome.bytes).toBeLessThanOrEqual(20000);
  });

  it('reports silence past the idle timeout as stall, keeping the bytes that came', async () => {
    const s = await server({ fault: 'stall-after=20000' });
    const got = await fetchWith(`${s.httpUrl}${basename(clipPath)}`, { idleTimeoutMs: 300 });
    expect(got.outcome.error?.reason).toBe('stall');
    expect(got.outcome.bytes).toBe(20000);
  });

  it('reports an untrusted certificate and a closed port as connect', async () => {
    const s = await server();
    const untrusted = await fetchWith(`${s.httpsUrl}${basename(clipPath)}`, { h2: true });
    expect(untrusted.outcome.error?.reason).toBe('connect');
    const port = new URL(s.httpUrl).port;
    await s.close();
    const closed = await fetchWith(`http://127.0.0.1:${port}/x.mp4`);
    expect(closed.outcome.error?.reason).toBe('connect');
  });
});

describe('ConnectionPool', () => {
  it('opens the connection when warmed and reuses it for the next request', async () => {
    const s = await server({ rttMs: 40 });
    const pool = new ConnectionPool({ ca: s.ca });
    try {
      const url = `${s.httpsUrl}${basename(clipPath)}`;
      const tracked = await pool.warm(url, true);
      expect(tracked.connections).toHaveLength(1);
      expect(tracked.openSockets).toBe(1);
      const before = performance.now();
      const dl = startDownload({ url, dispatcher: tracked.agent, rangeEnd: null, onChunk: () => {}, idleTimeoutMs: 10_000 });
      expect((await dl.done).complete).toBe(true);
      expect(tracked.connections).toHaveLength(1);
      expect(tracked.connections[0]!.readyAt!).toBeLessThan(before);
      expect(tracked.protocol).toBe('h2');
      expect(pool.agentFor(url, true)).toBe(tracked);
      expect(pool.agentFor(url, false)).not.toBe(tracked);
    } finally {
      await pool.close();
    }
  });
});
