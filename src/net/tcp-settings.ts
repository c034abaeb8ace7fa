import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TcpSettings } from './types.js';

/** sysctl key -> the TcpSettings field that holds it. */
export const TCP_SETTING_KEYS = {
  congestionControl: 'net.ipv4.tcp_congestion_control',
  availableCongestionControl: 'net.ipv4.tcp_available_congestion_control',
  rmem: 'net.ipv4.tcp_rmem',
  wmem: 'net.ipv4.tcp_wmem',
  coreRmemMax: 'net.core.rmem_max',
  coreWmemMax: 'net.core.wmem_max',
  windowScaling: 'net.ipv4.tcp_window_scaling',
  fastOpen: 'net.ipv4.tcp_fastopen',
  slowStartAfterIdle: 'net.ipv4.tcp_slow_start_after_idle',
  defaultQdisc: 'net.core.default_qdisc',
} as const satisfies Record<keyof TcpSettings, string>;

/** Reads the host's TCP settings from /proc/sys (or another root, for tests). */
export function readTcpSettings(procSys = '/proc/sys'): TcpSettings {
  return parseTcpSettings((key) => {
    try {
      return readFileSync(join(procSys, ...key.split('.')), 'utf8');
    } catch {
      return null;
    }
  });
}

/** Builds TcpSettings from a reader of raw sysctl values (null = missing). */
export function parseTcpSettings(read: (key: string) => string | null): TcpSettings {
  const raw = (key: string): string | null => {
    const text = read(key)?.trim() ?? '';
    return text === '' ? null : text;
  };
  const int = (key: string) => parseInteger(raw(key));
  return {
    congestionControl: raw(TCP_SETTING_KEYS.congestionControl),
    availableCongestionControl: raw(TCP_SETTING_KEYS.availableCongestionControl)?.split(/\s+/) ?? null,
    rmem: parseTriple(raw(TCP_SETTING_KEYS.rmem)),
    wmem: parseTriple(raw(TCP_SETTING_KEYS.wmem)),
    coreRmemMax: int(TCP_SETTING_KEYS.coreRmemMax),
    coreWmemMax: int(TCP_SETTING_KEYS.coreWmemMax),
    windowScaling: int(TCP_SETTING_KEYS.windowScaling),
    fastOpen: int(TCP_SETTING_KEYS.fastOpen),
    slowStartAfterIdle: int(TCP_SETTING_KEYS.slowStartAfterIdle),
    defaultQdisc: raw(TCP_SETTING_KEYS.defaultQdisc),
  };
}

function parseInteger(text: string | null): number | null {
  if (text === null || !/^-?\d+$/.test(text)) return null;
  return Number(text);
}

function parseTriple(text: string | null): [number, number, number] | null {
  const parts = text?.split(/\s+/).map((p) => parseInteger(p)) ?? [];
  if (parts.length !== 3 || parts.some((p) => p === null)) return null;
  return parts as [number, number, number];
}
