// Shared set-up of the miner tests: sample clips, a free port out of the ephemeral range, reading what
// pm2 runs a process with.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labClip } from '../helpers/lab-fixtures.js';
import type { Pm2Lab } from '../apply/pm2-fixture.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A folder with `count` short lab clips (320x180, 25 frames) and their truth files. */
export async function sampleDir(dir: string, count: number): Promise<string> {
  const samples = join(dir, 'samples');
  mkdirSync(samples, { recursive: true });
  for (let seed = 1; seed <= count; seed++) {
    const clip = await labClip({ frames: 25, width: 320, height: 180, seed });
    copyFileSync(clip.path, join(samples, `clip-${seed}.mp4`));
    copyFileSync(clip.truthPath, join(samples, `clip-${seed}.truth.json`));
  }
  return samples;
}

/**
 * A free port for a miner that pm2 restarts again and again: below the kernel's ephemeral range, so
 * that while the miner is down no server of another test (they listen on port 0) is handed its port.
 */
export async function freePort(): Promise<number> {
  const ephemeralLow = (() => {
    try {
      return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
    } catch {
      return 32768;
    }
  })();
  const low = 10_000;
  const high = Math.max(low + 1000, ephemeralLow) - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${low} and ${high}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** pm2's record of a process: status, pid and the given variables of its environment. */
export async function pm2Env(lab: Pm2Lab, name: string, keys: string[]): Promise<{ status: string; pid: number; env: Record<string, string | undefined> }> {
  const list = JSON.parse((await lab.pm2('jlist')).replace(/^[^[]*/, '')) as { name: string; pid: number; pm2_env: Record<string, unknown> & { status: string; env?: Record<string, unknown> } }[];
  const proc = list.find((p) => p.name === name)!;
  const all = { ...(proc.pm2_env.env ?? {}), ...proc.pm2_env };
  return { status: proc.pm2_env.status, pid: proc.pid, env: Object.fromEntries(keys.map((k) => [k, all[k] === undefined ? undefined : String(all[k])])) };
}
