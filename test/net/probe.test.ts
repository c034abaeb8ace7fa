import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { probeNetwork } from '../../src/net/probe.js';
import { readTcpSettings } from '../../src/net/tcp-settings.js';
import type { NetProbe } from '../../src/net/types.js';
import { runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';

let dir: string;
let clipFrames: number;
let clipBytes: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const clip = await labClip({ frames: 50, width: 320, height: 180, moovEnd: true });
  copyFileSync(clip.path, join(dir, 'faststart.mp4'));
  copyFileSync(clip.moovEndPath!, join(dir, 'moov-end.mp4'));
  clipFrames = clip.frames;
  clipBytes = clip.bytes;
  // Throughput needs megabytes; random bytes are as good as video for that.
  writeFileSync(join(dir, 'blob.bin'), randomBytes(3_000_000));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('autotune net probe against the lab server, seed-slow profile (0.7 MB/s, 100 ms)', () => {
  let server: LabServer;
  beforeAll(async () => {
    server = await startLabServer({ dir, port: 0, httpPort: 0, profile: 'seed-slow' });
  });
  afterAll(() => server.close());

  it('reports throughput within 20% of 0.7 MB/s, an RTT of at least 100 ms and h2 offered', async () => {
    const run = await runCli(['net', 'probe', `${server.httpsUrl}blob.bin`, '--ca', server.caPath, '--json', '--throughput-mb', '2', '--samples', '3']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const probe = JSON.parse(run.stdout) as NetProbe;
    console.log(
      `seed-slow probe: ${probe.throughput.mbPerS} MB/s (${probe.throughput.mbitPerS} Mbit/s), rtt ${probe.rttMs} ms ` +
        `(tcp ${probe.connect.medianMs}, request ${probe.requestRtt.medianMs}), tls ${probe.tls?.handshakeMs} ms, ttfb ${probe.ttfbMs} ms`,
    );
    expect(probe.throughput.mbPerS).toBeGreaterThanOrEqual(0.7 * 0.8);
    expect(probe.throughput.mbPerS).toBeLessThanOrEqual(0.7 * 1.2);
    expect(probe.throughput.bytes).toBe(2 * 1024 * 1024);
    expect(probe.rttMs).toBeGreaterThanOrEqual(100);
    expect(probe.tls).toMatchObject({ alpn: 'h2', h2Offered: true });
    // The lab server holds a new connection for one RTT from its accept, which falls inside the
    // client's TCP connect: connect + handshake of that connection cannot be shorter than the RTT.
    expect(probe.tls!.connectMs + probe.tls!.handshakeMs).toBeGreaterThanOrEqual(100);
    expect(probe.throughput.protocol).toBe('h2');
    expect(probe.range).toEqual({ honoured: true, status: 206, contentRange: 'bytes 0-2097151/3000000', size: 3000000 });
    expect(probe.dnsMs).toBe(0);
    expect(probe.connect.samplesMs).toHaveLength(3);
    expect(probe.tcp.congestionControl).not.toBeNull();
  });
});

describe('probeNetwork on a lan profile', () => {
  let server: LabServer;
  let noRange: LabServer;
  beforeAll(async () => {
    server = await startLabServer({ dir, port: 0, httpPort: 0, profile: 'lan' });
    noRange = await startLabServer({ dir, port: 0, httpPort: 0, profile: 'lan', fault: 'no-range' });
  });
  afterAll(async () => {
    await server.close();
    await noRange.close();
  });

  it('reads the container facts of a faststart clip', async () => {
    const probe = await probeNetwork(`${server.httpsUrl}faststart.mp4`, { ca: server.ca, samples: 2, frames: 10 });
    const v = probe.video!;
    expect(v.error).toBeNull();
    expect(v).toMatchObject({ size: clipBytes, faststart: true, width: 320, height: 180, fps: 25, frameCount: clipFrames, framesRequested: 10 });
    expect(v.moovOffset!).toBeLessThan(v.mdatOffset!);
    expect(v.bytesForRequested!).toBeGreaterThan(v.mdatOffset!);
    expect(v.bytesForRequested!).toBeLessThan(v.bytesFor750!);
    expect(v.bytesFor750!).toBeLessThanOrEqual(clipBytes);
    expect(probe.warnings.join('\n')).not.toContain('faststart');
    expect(JSON.parse(JSON.stringify(probe))).toEqual(probe);
  });

  it('flags a moov-at-end clip and still reads its facts from the tail (prefix smaller than the file)', async () => {
    const probe = await probeNetwork(`${server.httpsUrl}moov-end.mp4`, { ca: server.ca, samples: 2, throughputBytes: 16 * 1024 });
    const v = probe.video!;
    expect(v.error).toBeNull();
    expect(v).toMatchObject({ faststart: false, frameCount: clipFrames, fps: 25, width: 320, height: 180 });
    expect(v.mdatOffset!).toBeLessThan(v.moovOffset!);
    expect(v.bytesFor750).toBe(v.size);
    expect(probe.warnings).toContain(
      'the video is not faststart (moov after mdat): prefix and streaming modes cannot work on it (PARTIAL_DOWNLOAD=1 and CHUNKED_STREAMING=1 fail)',
    );
  });

  it('reports Range not honoured when the server ignores it, and reads the container anyway', async () => {
    const probe = await probeNetwork(`${noRange.httpsUrl}moov-end.mp4`, { ca: noRange.ca, samples: 1, throughputBytes: 16 * 1024 });
    expect(probe.range.honoured).toBe(false);
    expect(probe.range.status).toBe(200);
    expect(probe.video).toMatchObject({ faststart: false, frameCount: clipFrames, error: null });
    expect(probe.warnings.some((w) => w.startsWith('Range is not honoured (status 200)'))).toBe(true);
    const honoured = await probeNetwork(`${server.httpsUrl}faststart.mp4`, { ca: server.ca, samples: 1, throughputBytes: 16 * 1024 });
    expect(honoured.range).toMatchObject({ honoured: true, status: 206, contentRange: `bytes 0-16383/${clipBytes}` });
  });

  it('over plain http: no TLS, HTTP/1.1; and prints a readable table', async () => {
    const probe = await probeNetwork(`${server.httpUrl}faststart.mp4`, { samples: 1 });
    expect(probe.tls).toBeNull();
    expect(probe.throughput.protocol).toBe('http/1.1');
    const run = await runCli(['net', 'probe', `${server.httpUrl}faststart.mp4`, '--samples', '1']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^measure +value/);
    expect(run.stdout).toMatch(/faststart +yes \(moov at \d+, mdat at \d+\)/);
    expect(run.stdout).toMatch(/net\.ipv4\.tcp_congestion_control +\S+/);
  });
});

describe('autotune net probe: bad input', () => {
  it.each([
    [['not a url'], /^autotune: not a valid URL: "not a url"/],
    [['ftp://127.0.0.1/x.mp4'], /^autotune: unsupported URL scheme ftp:/],
    [['http://127.0.0.1:1/x.mp4'], /^autotune: cannot connect to 127\.0\.0\.1:1: ECONNREFUSED/],
    [['https://no-such-host.invalid/x.mp4'], /^autotune: cannot resolve no-such-host\.invalid/],
  ])('%j: one line, non-zero exit', async (args, message) => {
    const run = await runCli(['net', 'probe', ...args]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('a TLS server whose certificate is not trusted: one line that points at --ca', async () => {
    const server = await startLabServer({ dir, port: 0, httpPort: 0, profile: 'lan' });
    try {
      const run = await runCli(['net', 'probe', `${server.httpsUrl}faststart.mp4`]);
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toMatch(/^autotune: TLS handshake with 127\.0\.0\.1:\d+ failed: .*--ca FILE/);
    } finally {
      await server.close();
    }
  });
});

describe('readTcpSettings', () => {
  it('records missing or unreadable values as null', () => {
    const root = mkdtempSync(join(tmpdir(), 'procsys-'));
    try {
      mkdirSync(join(root, 'net', 'ipv4'), { recursive: true });
      writeFileSync(join(root, 'net', 'ipv4', 'tcp_rmem'), '4096\t131072\t6291456\n');
      writeFileSync(join(root, 'net', 'ipv4', 'tcp_available_congestion_control'), 'reno cubic\n');
      writeFileSync(join(root, 'net', 'ipv4', 'tcp_fastopen'), 'garbage\n');
      expect(readTcpSettings(root)).toEqual({
        congestionControl: null,
        availableCongestionControl: ['reno', 'cubic'],
        rmem: [4096, 131072, 6291456],
        wmem: null,
        coreRmemMax: null,
        coreWmemMax: null,
        windowScaling: null,
        fastOpen: null,
        slowStartAfterIdle: null,
        defaultQdisc: null,
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
