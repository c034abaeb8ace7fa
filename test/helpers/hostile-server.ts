// A hostile video server for tests: plain HTTP/1.1 on 127.0.0.1, port 0. Each path misbehaves in one
// way a real server (or a man in the middle) can. Range requests are honoured where a body is served,
// so every config (prefix, stream, whole file) meets the fault itself, not a missing Range.
//
//   /clip.mp4        the clip, well served
//   /zero.mp4        200 with Content-Length 0
//   /tiny.mp4        200 with 64 bytes, whatever the Range asked
//   /404.mp4         404
//   /page.mp4        an HTML page served as 200 text/html
//   /random.mp4      random bytes
//   /audio.mp4       a faststart mp4 with an audio track only
//   /audio-end.mp4   the same with its moov after mdat
//   /truncated.mp4   the clip's first 100 000 bytes, announced as the whole file
//   /closed.mp4      the clip's headers and first 50 000 bytes, then the connection is destroyed
//   /stall.mp4       the clip's headers and first 50 000 bytes, then silence (responses under 50 000 bytes complete)
//   /pause.mp4       the clip's first 50 000 bytes, 3 s of silence, then the rest at once
//   /slow.mp4        the clip at `slowBytesPerS` (1 KiB/s by default), in chunks of a tenth of that every 100 ms
//   /redirect.mp4    302 to /hop.mp4, which 301s to /hop-target.mp4 (the clip)
//   /loop.mp4        302 to itself
//   /no-location.mp4 302 without a Location

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { resolveFfmpeg } from '../../src/util/ffmpeg.js';

export interface HostileServer {
  url: string;
  /** Requests seen, by path (redirect hops included). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export interface HostileOptions {
  clipPath: string;
  slowBytesPerS?: number;
}

let audio: Promise<{ faststart: Buffer; moovEnd: Buffer }> | null = null;

/** Two small audio-only mp4s (AAC, 1 s), made once per test process with the project's ffmpeg. */
export function audioOnlyMp4s(): Promise<{ faststart: Buffer; moovEnd: Buffer }> {
  audio ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostile-audio-'));
    try {
      const ffmpeg = resolveFfmpeg().path;
      const make = async (name: string, extra: string[]) => {
        const out = join(dir, name);
        await execa(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', ...extra, '-y', out]);
        return readFileSync(out);
      };
      return { faststart: await make('fast.mp4', ['-movflags', '+faststart']), moovEnd: await make('end.mp4', []) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return audio;
}

export async function startHostileServer(options: HostileOptions): Promise<HostileServer> {
  const clip = readFileSync(options.clipPath);
  const random = randomBytes(120_000);
  const sounds = await audioOnlyMp4s();
  const page = Buffer.from('<!doctype html><html><body><video src="/clip.mp4"></video></body></html>');
  const rate = options.slowBytesPerS ?? 1024;
  const hits = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    res.on('error', () => {});
    // Writes the status line and headers for BUF (206 for a Range request); returns the bytes to send.
    const head = (buf: Buffer, headers: http.OutgoingHttpHeaders = { 'content-type': 'video/mp4' }): Buffer => {
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (m && buf.length > 0 && Number(m[1]) < buf.length) {
        const start = Number(m[1]);
        const end = Math.min(buf.length - 1, m[2] ? Number(m[2]) : buf.length - 1);
        res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${buf.length}`, 'accept-ranges': 'bytes' });
        return buf.subarray(start, end + 1);
      }
      res.writeHead(200, { ...headers, 'content-length': buf.length, 'accept-ranges': 'bytes' });
      return buf;
    };
    const send = (buf: Buffer, headers?: http.OutgoingHttpHeaders) => res.end(head(buf, headers));
    switch (path) {
      case '/clip.mp4':
      case '/hop-target.mp4':
        return send(clip);
      case '/zero.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 0 });
        return res.end();
      case '/tiny.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 64 });
        return res.end(Buffer.alloc(64, 1));
      case '/404.mp4':
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      case '/page.mp4':
        return send(page, { 'content-type': 'text/html; charset=utf-8' });
      case '/random.mp4':
        return send(random, { 'content-type': 'application/octet-stream' });
      case '/audio.mp4':
        return send(sounds.faststart);
      case '/audio-end.mp4':
        return send(sounds.moovEnd);
      case '/truncated.mp4':
        return send(clip.subarray(0, 100_000));
      case '/closed.mp4': {
        const body = head(clip);
        if (body.length <= 50_000) return res.end(body);
        res.write(body.subarray(0, 50_000), () => {
          const t = setTimeout(() => res.socket?.destroy(), 50);
          timers.add(t);
        });
        return;
      }
      case '/stall.mp4': {
        const body = head(clip);
        if (body.length <= 50_000) return res.end(body);
        res.write(body.subarray(0, 50_000));
        return; // never ends
      }
      case '/pause.mp4': {
        const body = head(clip);
        res.write(body.subarray(0, 50_000));
        const t = setTimeout(() => res.end(body.subarray(50_000)), 3000);
        timers.add(t);
        return;
      }
      case '/slow.mp4': {
        const body = head(clip);
        const step = Math.max(1, Math.round(rate / 10));
        let offset = 0;
        const t = setInterval(() => {
          if (res.destroyed || offset >= body.length) {
            clearInterval(t);
            timers.delete(t);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(body.subarray(offset, offset + step));
          offset += step;
        }, 100);
        timers.add(t);
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/redirect.mp4':
        res.writeHead(302, { location: '/hop.mp4' });
        return res.end();
      case '/hop.mp4':
        res.writeHead(301, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hop-target.mp4` });
        return res.end();
      case '/loop.mp4':
        res.writeHead(302, { location: '/loop.mp4' });
        return res.end();
      case '/no-location.mp4':
        res.writeHead(302);
        return res.end();
      default:
        res.writeHead(404);
        return res.end();
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    async close() {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
