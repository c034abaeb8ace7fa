import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTuned } from '../../src/apply/apply.js';
import { rollbackLast } from '../../src/apply/rollback.js';
import { loadSpace } from '../../src/search/index.js';
import { runCli } from '../helpers/cli.js';
import { snapshotDir } from './snapshot.js';

const MINER_ENV = '# miner\nIMG_SIZE=640\nBATCH_SIZE=32\n';
const TUNED = 'IMG_SIZE=416\nFRAME_STRIDE=1\n';
const knobs = { space: loadSpace(fileURLToPath(new URL('../../search-spaces/sn44.yaml', import.meta.url))), allowKeys: [] };

describe('autotune apply on files (no pm2)', () => {
  let work: string;
  let n = 0;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'apply-files-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function miner(env: string | null, tuned = TUNED) {
    n += 1;
    const minerDir = join(work, `m${n}`);
    mkdirSync(minerDir);
    if (env !== null) writeFileSync(join(minerDir, '.env'), env);
    const tunedPath = join(work, `tuned${n}.env`);
    writeFileSync(tunedPath, tuned);
    return { minerDir, tunedPath };
  }

  it('without --yes prints the diff and what it would do, and changes nothing', async () => {
    const m = miner(MINER_ENV);
    const before = snapshotDir(m.minerDir);
    const run = await runCli(['apply', '--miner-dir', m.minerDir, '--env', m.tunedPath]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('-IMG_SIZE=640\n+IMG_SIZE=416');
    expect(run.stdout).toContain('+FRAME_STRIDE=1');
    expect(run.stdout).toContain('dry run: nothing was changed');
    expect(snapshotDir(m.minerDir)).toEqual(before);
  });

  it('warns when the tuned file was measured on another host, and not when on this one', async () => {
    const header = (host: string) => `# sn44-autotune: best config of study "s" (search-spaces/sn44.yaml), trial 3\n# host: ${host}, date: 2026-12-01T00:00:00.000Z\n${TUNED}`;
    const other = miner(MINER_ENV, header('gpu-far-away'));
    const warned = await runCli(['apply', '--miner-dir', other.minerDir, '--env', other.tunedPath], { env: { ...process.env, AUTOTUNE_HOST_NAME: 'gpu-here' } });
    expect(warned.exitCode).toBe(0);
    expect(warned.stdout).toContain(`warning: ${other.tunedPath} was tuned on host gpu-far-away, and this is gpu-here: its figures are that host's`);
    const same = miner(MINER_ENV, header('gpu-here'));
    const quiet = await runCli(['apply', '--miner-dir', same.minerDir, '--env', same.tunedPath], { env: { ...process.env, AUTOTUNE_HOST_NAME: 'gpu-here' } });
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stdout).not.toContain('was tuned on host');
  });

  it('creates a missing .env, and --rollback removes it again', async () => {
    const m = miner(null);
    const run = await runCli(['apply', '--miner-dir', m.minerDir, '--env', m.tunedPath, '--yes']);
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toMatch(/^# added by autotune apply from tuned\d+\.env at .*\nIMG_SIZE=416\nFRAME_STRIDE=1\n$/);
    const back = await runCli(['apply', '--rollback', '--miner-dir', m.minerDir]);
    expect(back.exitCode).toBe(0);
    expect(existsSync(join(m.minerDir, '.env'))).toBe(false);
  });

  it('rolls back the last of two applies, one at a time', async () => {
    const m = miner(MINER_ENV);
    const log = () => {};
    const base = { minerDir: m.minerDir, knobs, pm2: null, sysctlFile: null, sysctlDir: join(work, 'unused'), yes: true, log };
    await applyTuned({ ...base, envFile: m.tunedPath, now: new Date('2026-11-20T10:00:00Z') });
    const first = readFileSync(join(m.minerDir, '.env'), 'utf8');
    writeFileSync(join(work, 'second.env'), 'IMG_SIZE=320\n');
    await applyTuned({ ...base, envFile: join(work, 'second.env'), now: new Date('2026-11-20T10:00:00Z') });
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toContain('IMG_SIZE=320');
    expect(existsSync(join(m.minerDir, '.env.autotune-backup-20261120T100000-2'))).toBe(true);
    await rollbackLast({ minerDir: m.minerDir, pm2: null, log });
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(first);
    await rollbackLast({ minerDir: m.minerDir, pm2: null, log });
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
  });

  it.each([
    ['a miner dir that does not exist', null, TUNED, /^autotune: miner directory .*does-not-exist does not exist or is not a directory; nothing was changed/],
    ['a .env with a multi-line quoted value', 'A=1\nKEY="one\ntwo"\n', TUNED, /^autotune: .*\.env:2: KEY has a multi-line quoted value that apply cannot keep intact; nothing was changed/],
    ['a .env line that is not a setting', '# ok\nhello world\n', TUNED, /^autotune: .*\.env:2: expected KEY=VALUE, got "hello world"; nothing was changed/],
    ['a tuned file with an injected command', MINER_ENV, 'IMG_SIZE=416\nBATCH_SIZE=32;curl x|sh\n', /^autotune: .*tuned\d+\.env:2: not a plain KEY=VALUE line: "BATCH_SIZE=32;curl x\|sh"; nothing was changed/],
  ])('refuses %s with one line and changes nothing', async (_what, env, tuned, message) => {
    const m = miner(env, tuned);
    const dir = _what.startsWith('a miner dir') ? join(work, 'does-not-exist') : m.minerDir;
    const before = snapshotDir(m.minerDir);
    const run = await runCli(['apply', '--miner-dir', dir, '--env', m.tunedPath, '--yes']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(snapshotDir(m.minerDir)).toEqual(before);
    expect(existsSync(join(work, 'does-not-exist'))).toBe(false);
  });

  it('installs a sysctl file into a writable --sysctl-dir without root and says how to load it', async () => {
    const m = miner(MINER_ENV);
    const conf = join(work, 'sysctl.conf');
    writeFileSync(conf, '# tuned\nnet.ipv4.tcp_fastopen = 3\n');
    const sysctlDir = join(work, 'sysctl.d');
    const lines: string[] = [];
    await applyTuned({ minerDir: m.minerDir, envFile: m.tunedPath, knobs, pm2: null, sysctlFile: conf, sysctlDir, yes: true, log: (l) => lines.push(l), root: false });
    expect(readFileSync(join(sysctlDir, '99-sn44-autotune.conf'), 'utf8')).toBe(readFileSync(conf, 'utf8'));
    expect(lines.join('\n')).toContain(`load it as root with: sudo sysctl -p '${join(sysctlDir, '99-sn44-autotune.conf')}'`);
    await rollbackLast({ minerDir: m.minerDir, pm2: null, log: () => {}, root: false });
    expect(existsSync(join(sysctlDir, '99-sn44-autotune.conf'))).toBe(false);
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
  });

  it('refuses a sysctl file with anything but key = value lines', async () => {
    const m = miner(MINER_ENV);
    const conf = join(work, 'bad-sysctl.conf');
    writeFileSync(conf, 'net.ipv4.tcp_fastopen = 3\nkernel.core_pattern = |/bin/sh -c x\n');
    const before = snapshotDir(m.minerDir);
    const run = await runCli(['apply', '--miner-dir', m.minerDir, '--env', m.tunedPath, '--sysctl', conf, '--sysctl-dir', join(work, 'sd2'), '--yes']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/^autotune: .*bad-sysctl\.conf:2: not a plain "key = value" sysctl line/);
    expect(snapshotDir(m.minerDir)).toEqual(before);
    expect(existsSync(join(work, 'sd2'))).toBe(false);
  });
});

// As root, `apply --sysctl` loads the file (sysctl -p): run it inside a network namespace so only
// that namespace's per-namespace keys change.
const root = process.getuid?.() === 0;
if (!root) console.log('apply --sysctl load/rollback in a network namespace skipped: not running as root');
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(!root)('autotune apply --sysctl as root, inside a network namespace', () => {
  const ns = `sn44-apply-${process.pid}`;
  let work: string;
  const inNs = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' }).trim();
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'apply-netns-'));
    execFileSync('ip', ['netns', 'add', ns]);
    inNs('sysctl', '-q', '-w', 'net.ipv4.tcp_fastopen=1', 'net.ipv4.tcp_slow_start_after_idle=1');
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(work, { recursive: true, force: true });
  });
  const cli = (...args: string[]) =>
    execa('ip', ['netns', 'exec', ns, 'node', '--import', 'tsx', entry, ...args], { cwd: repo, reject: false, stdin: 'ignore' });

  it('installs and loads the file, and --rollback removes it and puts the kernel values back', async () => {
    const minerDir = join(work, 'miner');
    mkdirSync(minerDir);
    writeFileSync(join(work, 'best.env'), TUNED);
    writeFileSync(join(work, 'sysctl.conf'), '# tuned\nnet.ipv4.tcp_fastopen = 3\nnet.ipv4.tcp_slow_start_after_idle = 0\n');
    const sysctlDir = join(work, 'sysctl.d');
    const run = await cli('apply', '--miner-dir', minerDir, '--env', join(work, 'best.env'), '--sysctl', join(work, 'sysctl.conf'), '--sysctl-dir', sysctlDir, '--yes');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`installed ${join(sysctlDir, '99-sn44-autotune.conf')} and loaded it (2 settings)`);
    expect(inNs('sysctl', '-n', 'net.ipv4.tcp_fastopen')).toBe('3');
    expect(inNs('sysctl', '-n', 'net.ipv4.tcp_slow_start_after_idle')).toBe('0');

    const back = await cli('apply', '--rollback', '--miner-dir', minerDir);
    expect(back.stderr).toBe('');
    expect(back.exitCode).toBe(0);
    expect(existsSync(join(sysctlDir, '99-sn44-autotune.conf'))).toBe(false);
    expect(inNs('sysctl', '-n', 'net.ipv4.tcp_fastopen')).toBe('1');
    expect(inNs('sysctl', '-n', 'net.ipv4.tcp_slow_start_after_idle')).toBe('1');
  });
});
