import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';

export interface GpuInfo {
  present: boolean;
  names: string[];
  driver: string | null;
  /** How it was found, or why none was. */
  source: string;
}

// nvidia-smi when installed; else the driver's /proc entries; else no NVIDIA GPU.
export async function detectGpu(): Promise<GpuInfo> {
  const smi = await execa('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
    reject: false,
    timeout: 10_000,
  }).catch(() => null);
  if (smi && smi.exitCode === 0 && smi.stdout.trim()) {
    const rows = smi.stdout.trim().split('\n').map((l) => l.split(',').map((s) => s.trim()));
    return { present: true, names: rows.map((r) => r[0]!), driver: rows[0]?.[1] ?? null, source: 'nvidia-smi' };
  }
  try {
    const dirs = await readdir('/proc/driver/nvidia/gpus');
    const names: string[] = [];
    for (const d of dirs) {
      const info = await readFile(`/proc/driver/nvidia/gpus/${d}/information`, 'utf8');
      names.push(info.match(/Model:\s*(.+)/)?.[1]?.trim() ?? 'NVIDIA GPU');
    }
    if (names.length) return { present: true, names, driver: null, source: '/proc/driver/nvidia' };
  } catch {
    // no NVIDIA driver loaded
  }
  return { present: false, names: [], driver: null, source: 'no nvidia-smi and no NVIDIA driver in /proc' };
}
