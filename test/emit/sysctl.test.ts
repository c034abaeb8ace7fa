import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planSysctl } from '../../src/emit/sysctl.js';
import type { NetProbe } from '../../src/net/types.js';

const probe = (name: string): NetProbe =>
  JSON.parse(readFileSync(new URL(`../fixtures/probes/${name}.json`, import.meta.url), 'utf8')) as NetProbe;

// The scripts' shared guard, identical in both.
const guard = (name: string) => `set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "${name}: run as root (sudo sh $0)" >&2
  exit 1
fi
`;
const stillInstalled = `if [ -f /etc/sysctl.d/99-sn44-autotune.conf ]; then
  echo "revert-sysctl.sh: /etc/sysctl.d/99-sn44-autotune.conf is still installed and applies at boot (autotune apply --rollback removes it)" >&2
fi
`;

describe('planSysctl on recorded probe figures', () => {
  it('a slow long link on a stock host: window scaling, socket caps at the 4 MiB floor, bbr + fq, no slow start after idle (fast open left alone)', () => {
    const plan = planSysctl({ probe: probe('slow-long-link'), winner: { USE_CONNECTION_POOL: 1 } });
    expect(plan.files['sysctl.conf']).toBe(
      `# sn44-autotune: TCP settings for this host, sized from a network probe.
# Install as /etc/sysctl.d/99-sn44-autotune.conf (autotune apply --sysctl FILE) and load it with sudo sysctl -p /etc/sysctl.d/99-sn44-autotune.conf.
# Measured by the probe of https://scoredata.me/chunks/slow.mp4 at 2026-11-20T10:00:00.000Z: 5.60 Mbit/s x 181.5 ms (0.70 MB/s).
# Only settings that differ from the values read at probe time and that the measurements justify.

# window scaling is off: a TCP window cannot exceed 64 KiB, which caps a 181.5 ms link at 2.89 Mbit/s (was: 0)
net.ipv4.tcp_window_scaling = 1

# bandwidth-delay product 5.60 Mbit/s x 181.5 ms = 124.1 KiB; x4 headroom = 496.3 KiB, rounded up to 512 KiB, raised to the 4 MiB floor; this caps sockets that set their own buffer size (was: 212992)
net.core.rmem_max = 4194304

# bandwidth-delay product 5.60 Mbit/s x 181.5 ms = 124.1 KiB; x4 headroom = 496.3 KiB, rounded up to 512 KiB, raised to the 4 MiB floor; this caps sockets that set their own buffer size (was: 212992)
net.core.wmem_max = 4194304

# the kernel offers bbr (available: reno cubic bbr); BBR paces by measured bandwidth and RTT instead of reacting to loss, keeping a 5.60 Mbit/s x 181.5 ms link full (was: cubic)
net.ipv4.tcp_congestion_control = bbr

# fq paces BBR's packets; applies to interfaces set up after the change (was: pfifo_fast)
net.core.default_qdisc = fq

# the winning config keeps warm connections (USE_CONNECTION_POOL=1); slow start after idle would shrink an idle pooled connection back to the initial window, costing round trips of 181.5 ms on the next download (was: 1)
net.ipv4.tcp_slow_start_after_idle = 0
`,
    );
    expect(plan.files['apply-sysctl.sh']).toBe(
      `#!/bin/sh
# sn44-autotune: applies the settings of sysctl.conf to the running kernel (sysctl -w each). They last until reboot;
# to keep them, install sysctl.conf with \`autotune apply --sysctl sysctl.conf\`. Undo with revert-sysctl.sh.
# Generated from the probe of https://scoredata.me/chunks/slow.mp4 at 2026-11-20T10:00:00.000Z: 5.60 Mbit/s x 181.5 ms (0.70 MB/s).
` + guard('apply-sysctl.sh') + `sysctl -w 'net.ipv4.tcp_window_scaling=1'
sysctl -w 'net.core.rmem_max=4194304'
sysctl -w 'net.core.wmem_max=4194304'
sysctl -w 'net.ipv4.tcp_congestion_control=bbr'
sysctl -w 'net.core.default_qdisc=fq'
sysctl -w 'net.ipv4.tcp_slow_start_after_idle=0'
`,
    );
    expect(plan.files['revert-sysctl.sh']).toBe(
      `#!/bin/sh
# sn44-autotune: restores the values read at probe time.
# Generated from the probe of https://scoredata.me/chunks/slow.mp4 at 2026-11-20T10:00:00.000Z: 5.60 Mbit/s x 181.5 ms (0.70 MB/s).
` + guard('revert-sysctl.sh') + `sysctl -w 'net.ipv4.tcp_slow_start_after_idle=1'
sysctl -w 'net.core.default_qdisc=pfifo_fast'
sysctl -w 'net.ipv4.tcp_congestion_control=cubic'
sysctl -w 'net.core.wmem_max=212992'
sysctl -w 'net.core.rmem_max=212992'
sysctl -w 'net.ipv4.tcp_window_scaling=0'
` + stillInstalled,
    );
  });

  it('a fast short link on a host already running bbr with large buffers: only fq', () => {
    const plan = planSysctl({ probe: probe('fast-short-link'), winner: { USE_CONNECTION_POOL: 0 } });
    expect(plan.files['sysctl.conf']).toBe(
      `# sn44-autotune: TCP settings for this host, sized from a network probe.
# Install as /etc/sysctl.d/99-sn44-autotune.conf (autotune apply --sysctl FILE) and load it with sudo sysctl -p /etc/sysctl.d/99-sn44-autotune.conf.
# Measured by the probe of https://scoredata.me/chunks/fast.mp4 at 2026-11-20T11:00:00.000Z: 880.00 Mbit/s x 3.5 ms (110.00 MB/s).
# Only settings that differ from the values read at probe time and that the measurements justify.

# fq paces BBR's packets; applies to interfaces set up after the change (was: pfifo_fast)
net.core.default_qdisc = fq
`,
    );
    expect(plan.files['apply-sysctl.sh']).toBe(
      `#!/bin/sh
# sn44-autotune: applies the settings of sysctl.conf to the running kernel (sysctl -w each). They last until reboot;
# to keep them, install sysctl.conf with \`autotune apply --sysctl sysctl.conf\`. Undo with revert-sysctl.sh.
# Generated from the probe of https://scoredata.me/chunks/fast.mp4 at 2026-11-20T11:00:00.000Z: 880.00 Mbit/s x 3.5 ms (110.00 MB/s).
` + guard('apply-sysctl.sh') + `sysctl -w 'net.core.default_qdisc=fq'
`,
    );
    expect(plan.files['revert-sysctl.sh']).toBe(
      `#!/bin/sh
# sn44-autotune: restores the values read at probe time.
# Generated from the probe of https://scoredata.me/chunks/fast.mp4 at 2026-11-20T11:00:00.000Z: 880.00 Mbit/s x 3.5 ms (110.00 MB/s).
` + guard('revert-sysctl.sh') + `sysctl -w 'net.core.default_qdisc=pfifo_fast'
` + stillInstalled,
    );
  });

  it('a long fat link on a kernel without bbr: buffers from the BDP (32 MiB), a note instead of bbr', () => {
    const plan = planSysctl({ probe: probe('bbr-absent'), winner: { USE_CONNECTION_POOL: 1 } });
    expect(plan.files['sysctl.conf']).toBe(
      `# sn44-autotune: TCP settings for this host, sized from a network probe.
# Install as /etc/sysctl.d/99-sn44-autotune.conf (autotune apply --sysctl FILE) and load it with sudo sysctl -p /etc/sysctl.d/99-sn44-autotune.conf.
# Measured by the probe of https://scoredata.me/chunks/far.mp4 at 2026-11-20T12:00:00.000Z: 400.00 Mbit/s x 121.5 ms (50.00 MB/s).
# Only settings that differ from the values read at probe time and that the measurements justify.
# note: the kernel does not offer bbr (available: reno cubic): congestion control left at cubic (modprobe tcp_bbr, then probe again)

# bandwidth-delay product 400.00 Mbit/s x 121.5 ms = 5.8 MiB; x4 headroom = 23.2 MiB, rounded up to 32 MiB (was: 4096 131072 6291456)
net.ipv4.tcp_rmem = 4096 131072 33554432

# bandwidth-delay product 400.00 Mbit/s x 121.5 ms = 5.8 MiB; x4 headroom = 23.2 MiB, rounded up to 32 MiB (was: 4096 16384 4194304)
net.ipv4.tcp_wmem = 4096 16384 33554432

# bandwidth-delay product 400.00 Mbit/s x 121.5 ms = 5.8 MiB; x4 headroom = 23.2 MiB, rounded up to 32 MiB; this caps sockets that set their own buffer size (was: 212992)
net.core.rmem_max = 33554432

# bandwidth-delay product 400.00 Mbit/s x 121.5 ms = 5.8 MiB; x4 headroom = 23.2 MiB, rounded up to 32 MiB; this caps sockets that set their own buffer size (was: 212992)
net.core.wmem_max = 33554432

# the winning config keeps warm connections (USE_CONNECTION_POOL=1); slow start after idle would shrink an idle pooled connection back to the initial window, costing round trips of 121.5 ms on the next download (was: 1)
net.ipv4.tcp_slow_start_after_idle = 0
`,
    );
    expect(plan.files['apply-sysctl.sh']).toBe(
      `#!/bin/sh
# sn44-autotune: applies the settings of sysctl.conf to the running kernel (sysctl -w each). They last until reboot;
# to keep them, install sysctl.conf with \`autotune apply --sysctl sysctl.conf\`. Undo with revert-sysctl.sh.
# Generated from the probe of https://scoredata.me/chunks/far.mp4 at 2026-11-20T12:00:00.000Z: 400.00 Mbit/s x 121.5 ms (50.00 MB/s).
` + guard('apply-sysctl.sh') + `sysctl -w 'net.ipv4.tcp_rmem=4096 131072 33554432'
sysctl -w 'net.ipv4.tcp_wmem=4096 16384 33554432'
sysctl -w 'net.core.rmem_max=33554432'
sysctl -w 'net.core.wmem_max=33554432'
sysctl -w 'net.ipv4.tcp_slow_start_after_idle=0'
`,
    );
    expect(plan.files['revert-sysctl.sh']).toBe(
      `#!/bin/sh
# sn44-autotune: restores the values read at probe time.
# Generated from the probe of https://scoredata.me/chunks/far.mp4 at 2026-11-20T12:00:00.000Z: 400.00 Mbit/s x 121.5 ms (50.00 MB/s).
` + guard('revert-sysctl.sh') + `sysctl -w 'net.ipv4.tcp_slow_start_after_idle=1'
sysctl -w 'net.core.wmem_max=212992'
sysctl -w 'net.core.rmem_max=212992'
sysctl -w 'net.ipv4.tcp_wmem=4096 16384 4194304'
sysctl -w 'net.ipv4.tcp_rmem=4096 131072 6291456'
` + stillInstalled,
    );
  });
});

describe('planSysctl rules', () => {
  it('leaves TCP fast open alone: nothing measured tells whether the HTTP client or the video server uses it', () => {
    for (const fastOpen of [0, 1, 2]) {
      const base = probe('slow-long-link');
      const plan = planSysctl({ probe: { ...base, tcp: { ...base.tcp, fastOpen } }, winner: { USE_CONNECTION_POOL: 1 } });
      expect(plan.settings.map((s) => s.key)).not.toContain('net.ipv4.tcp_fastopen');
    }
  });

  it('proposes nothing on a host that already matches, and never lowers a buffer', () => {
    const base = probe('fast-short-link');
    const tuned: NetProbe = {
      ...base,
      tcp: { ...base.tcp, rmem: [4096, 131072, 67108864], wmem: [4096, 16384, 67108864], coreRmemMax: 67108864, coreWmemMax: 67108864, defaultQdisc: 'fq', fastOpen: 3, slowStartAfterIdle: 0 },
    };
    const plan = planSysctl({ probe: tuned, winner: { USE_CONNECTION_POOL: 1 } });
    expect(plan.settings).toEqual([]);
    expect(plan.files['sysctl.conf']).toContain('# nothing to change: this host already matches the measurements.');
    expect(plan.files['apply-sysctl.sh']).toContain("echo 'apply-sysctl.sh: nothing to change'");
    expect(plan.files['apply-sysctl.sh']).not.toMatch(/^sysctl -w/m);
  });

  it('caps buffers at 64 MiB on a very long fat link and leaves slow start alone without a pool', () => {
    const base = probe('bbr-absent');
    const plan = planSysctl({ probe: { ...base, rttMs: 400, throughput: { ...base.throughput, mbPerS: 125, mbitPerS: 1000 } }, winner: { USE_CONNECTION_POOL: 0 } });
    expect(plan.settings.find((s) => s.key === 'net.ipv4.tcp_rmem')?.value).toBe('4096 131072 67108864');
    expect(plan.settings.find((s) => s.key === 'net.core.rmem_max')?.reason).toContain('capped at 64 MiB');
    expect(plan.settings.map((s) => s.key)).not.toContain('net.ipv4.tcp_slow_start_after_idle');
  });

  it('leaves unreadable values alone and says so', () => {
    const base = probe('slow-long-link');
    const plan = planSysctl({ probe: { ...base, tcp: { ...base.tcp, slowStartAfterIdle: null, defaultQdisc: null } }, winner: { USE_CONNECTION_POOL: 1 } });
    expect(plan.settings.map((s) => s.key)).not.toContain('net.ipv4.tcp_slow_start_after_idle');
    expect(plan.settings.map((s) => s.key)).not.toContain('net.core.default_qdisc');
    expect(plan.notes).toContain('net.ipv4.tcp_slow_start_after_idle was unreadable at probe time: left alone');
    expect(plan.files['sysctl.conf']).toContain('# note: net.core.default_qdisc was unreadable at probe time: left alone');
  });

  it('refuses a recorded value that could break out of the scripts', () => {
    const base = probe('slow-long-link');
    expect(() =>
      planSysctl({ probe: { ...base, tcp: { ...base.tcp, congestionControl: "cubic'; reboot; '" } }, winner: {} }),
    ).toThrow(/unexpected characters/);
  });
});

describe('sysctlEmitter', () => {
  it('writes the three files from the study probe and the winner, executable scripts; nothing without a probe', async () => {
    const { mkdtempSync, readFileSync: read, rmSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { sysctlEmitter } = await import('../../src/emit/sysctl.js');
    const outDir = mkdtempSync(join(tmpdir(), 'emit-sysctl-'));
    try {
      const winner = { params: { USE_CONNECTION_POOL: 1 } };
      const written = await sysctlEmitter.emit({ study: { netProbe: probe('bbr-absent') }, winner, outDir });
      expect(written.map((p) => p.slice(outDir.length + 1))).toEqual(['sysctl.conf', 'apply-sysctl.sh', 'revert-sysctl.sh']);
      expect(read(join(outDir, 'sysctl.conf'), 'utf8')).toBe(planSysctl({ probe: probe('bbr-absent'), winner: winner.params }).files['sysctl.conf']);
      expect(statSync(join(outDir, 'apply-sysctl.sh')).mode & 0o111).not.toBe(0);
      expect(await sysctlEmitter.emit({ study: { netProbe: null }, winner, outDir: join(outDir, 'none') })).toEqual([]);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
