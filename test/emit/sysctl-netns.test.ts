import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSysctlFiles } from '../../src/emit/sysctl.js';
import { parseTcpSettings } from '../../src/net/tcp-settings.js';

// apply-sysctl.sh / revert-sysctl.sh round trip on the keys a network namespace owns
// (tcp_rmem, tcp_wmem, tcp_fastopen, tcp_slow_start_after_idle, congestion control: reno/bbr there).
const isRoot = process.getuid?.() === 0;
const hasIp = (() => {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skipReason = !isRoot ? 'not running as root' : !hasIp ? 'the ip tool (iproute2) is missing' : null;
if (skipReason) console.log(`sysctl netns round trip skipped: ${skipReason}`);

const ns = `sn44-at-${process.pid}-${Date.now() % 100000}`;
const KEYS = [
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_congestion_control',
];
const inNs = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
const read = (key: string): string | null => {
  try {
    return inNs('sysctl', '-n', key).trim().replace(/\s+/g, ' ');
  } catch {
    return null;
  }
};
const snapshot = () => Object.fromEntries(KEYS.map((k) => [k, read(k)]));

describe.skipIf(skipReason !== null)('apply-sysctl.sh / revert-sysctl.sh inside a network namespace', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sysctl-netns-'));
    execFileSync('ip', ['netns', 'add', ns]);
    // A deliberately untuned namespace: small buffers, reno, slow start after idle on.
    for (const setting of [
      'net.ipv4.tcp_rmem=4096 87380 2097152',
      'net.ipv4.tcp_wmem=4096 16384 1048576',
      'net.ipv4.tcp_slow_start_after_idle=1',
      'net.ipv4.tcp_congestion_control=reno',
    ]) inNs('sysctl', '-q', '-w', setting);
  });
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies the planned values and reverts to the ones read at probe time', async () => {
    const before = snapshot();
    expect(before['net.ipv4.tcp_congestion_control']).toBe('reno');
    const tcp = parseTcpSettings(read);
    const plan = await writeSysctlFiles(dir, {
      probe: {
        url: 'https://127.0.0.1/clip.mp4',
        at: '2026-11-20T10:00:00.000Z',
        rttMs: 100,
        throughput: { bytes: 4194304, seconds: 6, mbitPerS: 5.6, mbPerS: 0.7, protocol: 'h2' },
        tcp,
      },
      winner: { USE_CONNECTION_POOL: 1 },
    });
    const planned = Object.fromEntries(plan.settings.map((s) => [s.key, s.value]));
    for (const key of KEYS) expect(planned[key], key).toBeDefined();

    inNs('bash', join(dir, 'apply-sysctl.sh'));
    const applied = snapshot();
    for (const key of KEYS) expect(applied[key], key).toBe(planned[key]);
    expect(applied['net.ipv4.tcp_congestion_control']).toBe('bbr');
    expect(applied['net.ipv4.tcp_rmem']).toBe('4096 87380 4194304');

    inNs('bash', join(dir, 'revert-sysctl.sh'));
    expect(snapshot()).toEqual(before);
  });
});
