// Which sysctl settings the measurements justify. Each rule looks at the probe (link + host values
// at probe time) and the winning config and proposes only changes; never lowers a buffer.
import type { Config } from '../pipeline/types.js';
import type { NetProbe, TcpSettings } from '../net/types.js';
import { TCP_SETTING_KEYS } from '../net/tcp-settings.js';

export interface SysctlSetting {
  key: string;
  value: string;
  /** The value read at probe time (what revert-sysctl.sh restores). */
  current: string;
  reason: string;
}

export interface SysctlPolicy {
  /** Buffer maxima = bandwidth-delay product x headroom, rounded up to a power of two. */
  headroom: number;
  minBufferBytes: number;
  maxBufferBytes: number;
}

export const DEFAULT_SYSCTL_POLICY: SysctlPolicy = {
  headroom: 4,
  minBufferBytes: 4 * 1024 * 1024,
  maxBufferBytes: 64 * 1024 * 1024,
};

/** The parts of a probe the generator reads. */
export type SysctlProbe = Pick<NetProbe, 'url' | 'at' | 'rttMs' | 'throughput' | 'tcp'>;

export interface RuleOutcome {
  settings: SysctlSetting[];
  /** Things worth knowing that are not settings (e.g. bbr not offered). */
  notes: string[];
}

export function chooseSettings(probe: SysctlProbe, winner: Config, policy: SysctlPolicy): RuleOutcome {
  const out: RuleOutcome = { settings: [], notes: [] };
  const tcp = probe.tcp;
  const link = describeLink(probe);
  const unreadable = (field: keyof TcpSettings) =>
    out.notes.push(`${TCP_SETTING_KEYS[field]} was unreadable at probe time: left alone`);

  if (tcp.windowScaling === null) unreadable('windowScaling');
  else if (tcp.windowScaling === 0) {
    const capMbit = (65535 * 8) / (probe.rttMs / 1000) / 1e6;
    out.settings.push({
      key: TCP_SETTING_KEYS.windowScaling,
      value: '1',
      current: '0',
      reason: `window scaling is off: a TCP window cannot exceed 64 KiB, which caps a ${ms(probe.rttMs)} link at ${capMbit.toFixed(2)} Mbit/s`,
    });
  }

  const buffer = bufferTarget(probe, policy);
  const sizing = buffer.why;
  for (const field of ['rmem', 'wmem'] as const) {
    const triple = tcp[field];
    if (triple === null) unreadable(field);
    else if (triple[2] < buffer.bytes) {
      out.settings.push({
        key: TCP_SETTING_KEYS[field],
        value: `${triple[0]} ${triple[1]} ${buffer.bytes}`,
        current: triple.join(' '),
        reason: sizing,
      });
    }
  }
  for (const field of ['coreRmemMax', 'coreWmemMax'] as const) {
    const current = tcp[field];
    if (current === null) unreadable(field);
    else if (current < buffer.bytes) {
      out.settings.push({
        key: TCP_SETTING_KEYS[field],
        value: String(buffer.bytes),
        current: String(current),
        reason: `${sizing}; this caps sockets that set their own buffer size`,
      });
    }
  }

  const available = tcp.availableCongestionControl;
  let bbrInUse = tcp.congestionControl === 'bbr';
  if (available === null || tcp.congestionControl === null) unreadable(available === null ? 'availableCongestionControl' : 'congestionControl');
  else if (!available.includes('bbr')) {
    out.notes.push(`the kernel does not offer bbr (available: ${available.join(' ')}): congestion control left at ${tcp.congestionControl} (modprobe tcp_bbr, then probe again)`);
  } else if (!bbrInUse) {
    bbrInUse = true;
    out.settings.push({
      key: TCP_SETTING_KEYS.congestionControl,
      value: 'bbr',
      current: tcp.congestionControl,
      reason: `the kernel offers bbr (available: ${available.join(' ')}); BBR paces by measured bandwidth and RTT instead of reacting to loss, keeping a ${link} link full`,
    });
  }
  if (bbrInUse) {
    if (tcp.defaultQdisc === null) unreadable('defaultQdisc');
    else if (tcp.defaultQdisc !== 'fq') {
      out.settings.push({
        key: TCP_SETTING_KEYS.defaultQdisc,
        value: 'fq',
        current: tcp.defaultQdisc,
        reason: `fq paces BBR's packets; applies to interfaces set up after the change`,
      });
    }
  }

  // TCP fast open is left alone: a download saves its round trip only when the HTTP client asks for it
  // (undici, aiohttp and httpx do not) and the video server offers it; nothing here measures that.

  if (isOn(winner.USE_CONNECTION_POOL)) {
    if (tcp.slowStartAfterIdle === null) unreadable('slowStartAfterIdle');
    else if (tcp.slowStartAfterIdle !== 0) {
      out.settings.push({
        key: TCP_SETTING_KEYS.slowStartAfterIdle,
        value: '0',
        current: String(tcp.slowStartAfterIdle),
        reason: `the winning config keeps warm connections (USE_CONNECTION_POOL=1); slow start after idle would shrink an idle pooled connection back to the initial window, costing round trips of ${ms(probe.rttMs)} on the next download`,
      });
    }
  }
  return out;
}

/** Bandwidth-delay product x headroom, rounded up to a power of two and clamped. */
export function bufferTarget(probe: SysctlProbe, policy: SysctlPolicy): { bytes: number; why: string } {
  const bdp = probe.throughput.mbPerS * 1e6 * (probe.rttMs / 1000);
  const wanted = bdp * policy.headroom;
  const rounded = 2 ** Math.ceil(Math.log2(Math.max(wanted, 1)));
  const bytes = Math.min(policy.maxBufferBytes, Math.max(policy.minBufferBytes, rounded));
  const bound =
    rounded < policy.minBufferBytes ? `, raised to the ${size(policy.minBufferBytes)} floor`
    : rounded > policy.maxBufferBytes ? `, capped at ${size(policy.maxBufferBytes)}`
    : '';
  return {
    bytes,
    why: `bandwidth-delay product ${describeLink(probe)} = ${size(bdp)}; x${policy.headroom} headroom = ${size(wanted)}, rounded up to ${size(rounded)}${bound}`,
  };
}

export function describeLink(probe: SysctlProbe): string {
  return `${probe.throughput.mbitPerS.toFixed(2)} Mbit/s x ${ms(probe.rttMs)}`;
}

function isOn(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'true';
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** Bytes in binary units; exact MiB values print without decimals. */
export function size(value: number): string {
  const mib = 1024 * 1024;
  if (value >= mib) return Number.isInteger(value / mib) ? `${value / mib} MiB` : `${(value / mib).toFixed(1)} MiB`;
  if (value >= 1024) return Number.isInteger(value / 1024) ? `${value / 1024} KiB` : `${(value / 1024).toFixed(1)} KiB`;
  return `${Math.round(value)} B`;
}
