// Achieved rate and time to first byte of the lab server's link profiles, over HTTP/2 and plain
// HTTP/1.1. Run: npx tsx scripts/lab-server-bench.ts [MB]   (default 4 MB; seed-slow takes ~6 s per run)
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { formatTable } from '../src/util/format.js';
import { startLabServer } from '../src/lab/server/index.js';

const megabytes = Number(process.argv[2] ?? 4);
const dir = await mkdtemp(path.join(os.tmpdir(), 'lab-bench-'));
await writeFile(path.join(dir, 'blob.bin'), randomBytes(Math.round(megabytes * 1e6)));

interface Row {
  profile: string;
  protocol: string;
  target: string;
  achieved: string;
  ttfbFresh: string;
  ttfbReused: string;
}

async function timed(url: string, agent: Agent): Promise<{ ttfb: number; total: number; bytes: number }> {
  const t0 = performance.now();
  const res = await request(url, { dispatcher: agent });
  const ttfb = performance.now() - t0;
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  return { ttfb, total: performance.now() - t0, bytes };
}

const rows: Row[] = [];
try {
  for (const profile of ['lan', 'fork', 'seed-slow']) {
    const server = await startLabServer({ dir, profile });
    try {
      for (const [protocol, base, allowH2] of [
        ['h2', server.httpsUrl, true],
        ['http/1.1', server.httpUrl, false],
      ] as const) {
        const agent = new Agent({ allowH2, connections: 1, connect: { ca: server.ca } });
        const fresh = await timed(`${base}blob.bin`, agent);
        const reused = await timed(`${base}blob.bin?again`, agent);
        await agent.close();
        // The rate over the body only: from the first byte to the last.
        const rate = reused.bytes / ((reused.total - reused.ttfb) / 1000);
        const p = server.profile;
        rows.push({
          profile,
          protocol,
          target: p.rateBytesPerSec === null ? 'unlimited' : `${(p.rateBytesPerSec / 1e6).toFixed(2)} MB/s, ${p.rttMs} ms`,
          achieved: `${(rate / 1e6).toFixed(2)} MB/s`,
          ttfbFresh: `${fresh.ttfb.toFixed(0)} ms`,
          ttfbReused: `${reused.ttfb.toFixed(0)} ms`,
        });
      }
    } finally {
      await server.close();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(`${megabytes} MB per download; the rate is body bytes / (last byte - first byte)`);
console.log(
  formatTable(rows, [
    { header: 'profile', value: (r) => r.profile },
    { header: 'protocol', value: (r) => r.protocol },
    { header: 'target', value: (r) => r.target },
    { header: 'achieved', value: (r) => r.achieved, align: 'right' },
    { header: 'TTFB fresh conn', value: (r) => r.ttfbFresh, align: 'right' },
    { header: 'TTFB reused', value: (r) => r.ttfbReused, align: 'right' },
  ]),
);
