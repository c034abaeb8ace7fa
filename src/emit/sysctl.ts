// The sysctl part of `emit`: sysctl.conf (for /etc/sysctl.d/), apply-sysctl.sh and revert-sysctl.sh,
// all pure text derived from a network probe and the winning config.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutotuneError } from '../errors.js';
import type { Config } from '../pipeline/types.js';
import {
  chooseSettings,
  DEFAULT_SYSCTL_POLICY,
  describeLink,
  type SysctlPolicy,
  type SysctlProbe,
  type SysctlSetting,
} from './sysctl-rules.js';
import { makeDirs } from '../util/fs.js';

export type { SysctlPolicy, SysctlProbe, SysctlSetting } from './sysctl-rules.js';
export { DEFAULT_SYSCTL_POLICY } from './sysctl-rules.js';

/** Where `autotune apply --sysctl` installs sysctl.conf. */
export const SYSCTL_CONF_NAME = '99-sn44-autotune.conf';

export interface SysctlFiles {
  'sysctl.conf': string;
  'apply-sysctl.sh': string;
  'revert-sysctl.sh': string;
}

export interface SysctlPlan {
  settings: SysctlSetting[];
  notes: string[];
  files: SysctlFiles;
}

export interface SysctlInput {
  probe: SysctlProbe;
  winner: Config;
  policy?: Partial<SysctlPolicy>;
}

/** Chooses the settings and renders the three files. Pure. */
export function planSysctl(input: SysctlInput): SysctlPlan {
  const policy = { ...DEFAULT_SYSCTL_POLICY, ...input.policy };
  const { settings, notes } = chooseSettings(input.probe, input.winner, policy);
  for (const s of settings) assertSafe(s);
  const origin = `probe of ${input.probe.url} at ${input.probe.at}: ${describeLink(input.probe)} (${input.probe.throughput.mbPerS.toFixed(2)} MB/s)`;
  return {
    settings,
    notes,
    files: {
      'sysctl.conf': renderConf(settings, notes, origin),
      'apply-sysctl.sh': renderApply(settings, origin),
      'revert-sysctl.sh': renderRevert(settings, origin),
    },
  };
}

/** Alias used by emit. */
export const renderSysctl = planSysctl;

/** Writes DIR/sysctl.conf, DIR/apply-sysctl.sh and DIR/revert-sysctl.sh (scripts executable). */
export async function writeSysctlFiles(dir: string, input: SysctlInput): Promise<SysctlPlan> {
  const plan = planSysctl(input);
  makeDirs(dir, 'the output folder');
  for (const [name, text] of Object.entries(plan.files)) {
    const path = join(dir, name);
    await writeFile(path, text);
    if (name.endsWith('.sh')) await chmod(path, 0o755);
  }
  return plan;
}

function renderConf(settings: SysctlSetting[], notes: string[], origin: string): string {
  const lines = [
    '# sn44-autotune: TCP settings for this host, sized from a network probe.',
    `# Install as /etc/sysctl.d/${SYSCTL_CONF_NAME} (autotune apply --sysctl FILE) and load it with sudo sysctl -p /etc/sysctl.d/${SYSCTL_CONF_NAME}.`,
    `# Measured by the ${origin}.`,
    '# Only settings that differ from the values read at probe time and that the measurements justify.',
    ...notes.map((n) => `# note: ${n}`),
  ];
  if (settings.length === 0) lines.push('', '# nothing to change: this host already matches the measurements.');
  for (const s of settings) lines.push('', `# ${s.reason} (was: ${s.current})`, `${s.key} = ${s.value}`);
  return `${lines.join('\n')}\n`;
}

function scriptHead(name: string, purpose: string, origin: string): string[] {
  return [
    '#!/bin/sh',
    `# sn44-autotune: ${purpose}`,
    `# Generated from the ${origin}.`,
    'set -eu',
    'if [ "$(id -u)" -ne 0 ]; then',
    `  echo "${name}: run as root (sudo sh $0)" >&2`,
    '  exit 1',
    'fi',
  ];
}

function renderApply(settings: SysctlSetting[], origin: string): string {
  const lines = scriptHead(
    'apply-sysctl.sh',
    'applies the settings of sysctl.conf to the running kernel (sysctl -w each). They last until reboot;\n# to keep them, install sysctl.conf with `autotune apply --sysctl sysctl.conf`. Undo with revert-sysctl.sh.',
    origin,
  );
  if (settings.length === 0) lines.push("echo 'apply-sysctl.sh: nothing to change'");
  for (const s of settings) lines.push(`sysctl -w '${s.key}=${s.value}'`);
  return `${lines.join('\n')}\n`;
}

function renderRevert(settings: SysctlSetting[], origin: string): string {
  const lines = scriptHead('revert-sysctl.sh', 'restores the values read at probe time.', origin);
  if (settings.length === 0) lines.push("echo 'revert-sysctl.sh: nothing to restore'");
  for (const s of [...settings].reverse()) lines.push(`sysctl -w '${s.key}=${s.current}'`);
  lines.push(
    `if [ -f /etc/sysctl.d/${SYSCTL_CONF_NAME} ]; then`,
    `  echo "revert-sysctl.sh: /etc/sysctl.d/${SYSCTL_CONF_NAME} is still installed and applies at boot (autotune apply --rollback removes it)" >&2`,
    'fi',
  );
  return `${lines.join('\n')}\n`;
}

// Values come from /proc and from our own rules; still, nothing that could break out of the
// single-quoted shell words or the conf line may pass.
function assertSafe(s: SysctlSetting): void {
  const ok = (text: string) => /^[A-Za-z0-9_. -]+$/.test(text);
  if (!/^[a-z0-9_.]+$/.test(s.key) || !ok(s.value) || !ok(s.current)) {
    throw new AutotuneError('E_SYSCTL', `refusing sysctl setting ${JSON.stringify(s.key)}=${JSON.stringify(s.value)} (was ${JSON.stringify(s.current)}): unexpected characters`, {
      hint: 'the probe recorded an unusual value; check the probe JSON',
    });
  }
}

/** A stored study's net probe, if it looks like one (older studies have none). */
function storedProbe(value: unknown): SysctlProbe | null {
  const p = value as Partial<SysctlProbe> | null;
  if (!p || typeof p !== 'object' || typeof p.rttMs !== 'number' || !p.throughput || !p.tcp) return null;
  return p as SysctlProbe;
}

/**
 * The emitter `autotune emit` runs for sysctl.conf + scripts: from the probe stored with the study
 * and the winner's params. Writes nothing (and says why on stderr) when the study has no probe.
 */
export const sysctlEmitter = {
  name: 'sysctl',
  async emit(context: { study: { netProbe?: unknown }; winner: { params: Config }; outDir: string }): Promise<string[]> {
    const probe = storedProbe(context.study.netProbe);
    if (!probe) {
      process.stderr.write('sysctl: the study has no network probe, so no sysctl.conf (run autotune net probe URL)\n');
      return [];
    }
    const plan = await writeSysctlFiles(context.outDir, { probe, winner: context.winner.params });
    return Object.keys(plan.files).map((name) => join(context.outDir, name));
  },
};
