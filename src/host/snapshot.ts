// What a study records about the machine it measured on.

import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';

export interface HostSnapshot {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string | null;
  cpuCount: number;
  memoryBytes: number;
  node: string;
  /** Capabilities as probed for this run (nvdec, cuda), with the reasons when absent. */
  capabilities: Record<string, { usable: boolean; reason: string | null }>;
}

export function snapshotHost(capabilities: HostSnapshot['capabilities'] = {}): HostSnapshot {
  const cpu = cpus();
  return {
    hostname: hostname(),
    platform: platform(),
    release: release(),
    arch: arch(),
    cpuModel: cpu[0]?.model ?? null,
    cpuCount: cpu.length,
    memoryBytes: totalmem(),
    node: process.version,
    capabilities,
  };
}
