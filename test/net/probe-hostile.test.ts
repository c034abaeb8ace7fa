// `autotune net probe` against a hostile server: bounded in time, says what it measured and why it
// stopped; a stalled or broken server prints the figures and exits 3 with one line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetProbe } from '../../src/net/types.js';
import { runCli } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-server.js';
import { labClip } from '../helpers/lab-fixtures.js';

let server: HostileServer;
beforeAll(async () => {
  server = await startHostileServer({ clipPath: (await labClip()).path, slowBytesPerS: 1024 });
});
afterAll(async () => {
  await server?.close();
});

const probe = (path: string, ...args: string[]) => runCli(['net', 'probe', `${server.url}${path}`, '--samples', '1', ...args]);

describe('net probe on a hostile server', () => {
  it('a 1 KiB/s server: stops at --time-limit, reports the rate over what came, exits 0', async () => {
    const started = Date.now();
    const run = await probe('slow.mp4', '--time-limit', '2', '--json');
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    // The throughput read is cut at 2 s; the rest (one RTT sample, the container) takes a round trip each
    // (the whole file would take over 250 s).
    expect(Date.now() - started).toBeLessThan(60_000);
    const p = JSON.parse(run.stdout) as NetProbe;
    expect(p.throughput.stopped).toMatchObject({ reason: 'time-limit', message: expect.stringMatching(/^stopped at the 2 s time limit after \d+ bytes$/) });
    expect(p.throughput.bytes).toBeLessThan(4000);
    expect(p.throughput.mbPerS).toBeLessThan(0.01);
    expect(p.warnings.some((w) => /^the throughput download stopped at the 2 s time limit after \d+ bytes: the rate is measured over those bytes only$/.test(w))).toBe(true);
    const text = await probe('slow.mp4', '--time-limit', '1');
    expect(text.stdout).toMatch(/^throughput +[\d.]+ Mbit\/s .* over [\d.]+ (B|KiB) in [\d.]+ s, http\/1\.1 \(stopped at the time limit\)$/m);
  });

  it('a server that stops sending mid-body: prints what it measured, then exits 3 with one line that says so', async () => {
    const run = await probe('stall.mp4', '--time-limit', '2', '--json');
    expect(run.exitCode).toBe(3);
    const p = JSON.parse(run.stdout) as NetProbe;
    expect(p.throughput).toMatchObject({ bytes: 50_000, stopped: { reason: 'stall' } });
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(
      new RegExp(`^autotune: GET ${server.url}stall\\.mp4: the server stopped sending: no byte for [\\d.]+ s after 50000 bytes; the throughput above is over those bytes only \\(`),
    );
  });

  it('a connection closed mid-body: exits 3 naming the bytes that came', async () => {
    const run = await probe('closed.mp4', '--json');
    expect(run.exitCode).toBe(3);
    expect(JSON.parse(run.stdout).throughput.stopped.reason).toBe('reset');
    expect(run.stderr.trim()).toMatch(/^autotune: GET \S+closed\.mp4: the connection broke after 50000 bytes/);
  });

  it('a truncated file: says so instead of bytes for frames it does not have', async () => {
    const json = await probe('truncated.mp4', '--json');
    expect(json.exitCode).toBe(0);
    const p = JSON.parse(json.stdout) as NetProbe;
    expect(p.video).toMatchObject({ size: 100_000, frameCount: 50 });
    expect(p.video!.framesWhole).toBeGreaterThan(0);
    expect(p.video!.framesWhole).toBeLessThan(50);
    expect(p.video!.mediaBytes).toBeGreaterThan(100_000);
    expect(p.warnings).toContain(`the file is truncated: it has 100000 bytes but its moov indexes ${p.video!.mediaBytes}; only ${p.video!.framesWhole} of its 50 frames are whole`);
    const text = await probe('truncated.mp4');
    expect(text.stdout).toMatch(/^video +640x360, 25 fps, 50 frames \(only \d+ whole: the file is TRUNCATED\)$/m);
    expect(text.stdout).toMatch(/^bytes for 750 frames +[\d.]+ KiB \(more than the file's 97\.7 KiB: TRUNCATED\)$/m);
  });

  it('follows redirects and reports where the video is', async () => {
    const run = await probe('redirect.mp4', '--json');
    expect(run.exitCode).toBe(0);
    const p = JSON.parse(run.stdout) as NetProbe;
    expect(p.finalUrl).toBe(`${server.url}hop-target.mp4`);
    expect(p.video).toMatchObject({ frameCount: 50, error: null });
    expect(p.warnings).toContain(`${server.url}redirect.mp4 redirects to ${server.url}hop-target.mp4 (2 redirect(s)); a miner follows them on every challenge`);
  });

  it.each([
    ['404.mp4', /^autotune: GET \S+404\.mp4 answered 404 \(check the URL\)$/],
    ['loop.mp4', /^autotune: GET \S+loop\.mp4: redirect loop: /],
  ])('%s: one line, exit 3', async (path, line) => {
    const run = await probe(path);
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(line);
  });
});
