// Installing a generated sysctl.conf under /etc/sysctl.d/ (or --sysctl-dir) and loading it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { AutotuneError } from '../errors.js';
import { SYSCTL_CONF_NAME } from '../emit/sysctl.js';

export interface SysctlLine {
  key: string;
  value: string;
}

const SETTING = /^([a-z0-9_.]+)\s*=\s*([A-Za-z0-9_. -]+?)\s*$/;

/** Validates a sysctl.conf: `key = value` lines with plain values, comments, blank lines. */
export function parseSysctlConf(text: string, source: string): SysctlLine[] {
  const settings: SysctlLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const match = SETTING.exec(trimmed);
    if (!match) {
      throw new AutotuneError('E_SYSCTL', `${source}:${index + 1}: not a plain "key = value" sysctl line: ${JSON.stringify(raw)}; nothing was changed`, {
        hint: 'pass the sysctl.conf written by autotune emit',
      });
    }
    settings.push({ key: match[1]!, value: match[2]!.replace(/\s+/g, ' ') });
  });
  return settings;
}

export function installedSysctlPath(dir: string): string {
  return join(dir, SYSCTL_CONF_NAME);
}

/** The running kernel's value of a key (whitespace normalized), or null when unreadable. */
export function currentSysctl(key: string, procSys = '/proc/sys'): string | null {
  try {
    return readFileSync(join(procSys, ...key.split('.')), 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return null;
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** `sysctl -p FILE`; throws E_SYSCTL with sysctl's own complaint. */
export async function loadSysctlFile(path: string): Promise<void> {
  const run = await execa('sysctl', ['-p', path], { reject: false, stdin: 'ignore' });
  if (run.exitCode !== 0) {
    throw new AutotuneError('E_SYSCTL', `sysctl -p ${path} failed: ${String(run.stderr || run.stdout).trim().split('\n')[0]}`, {
      hint: 'check the keys against this kernel (sysctl -a)',
    });
  }
}

/** `sysctl -w key=value` for each setting (used to put back the values seen before loading). */
export async function writeSysctlValues(values: SysctlLine[]): Promise<string[]> {
  const failed: string[] = [];
  for (const { key, value } of values) {
    const run = await execa('sysctl', ['-q', '-w', `${key}=${value}`], { reject: false, stdin: 'ignore' });
    if (run.exitCode !== 0) failed.push(key);
  }
  return failed;
}

/** The commands a non-root user runs to install and load the file. */
export function sudoCommands(source: string, target: string): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [`sudo install -m 0644 ${q(source)} ${q(target)}`, `sudo sysctl -p ${q(target)}`];
}
