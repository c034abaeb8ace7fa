import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { pm2List } from '../../src/apply/pm2.js';
import { createPm2Lab, eventually, PM2_BIN, type Pm2Lab } from './pm2-fixture.js';
import { snapshotDir } from './snapshot.js';

const MINER_ENV = `# miner settings
export WALLET_NAME=miner1
IMG_SIZE=640   # model input
BATCH_SIZE=32

FRAME_STRIDE=2
`;
const OLD = { IMG_SIZE: '640', BATCH_SIZE: '32', FRAME_STRIDE: '2', USE_CONNECTION_POOL: null };

describe('autotune apply with a real pm2', () => {
  let lab: Pm2Lab;
  let work: string;
  beforeAll(() => {
    lab = createPm2Lab();
    work = mkdtempSync(join(tmpdir(), 'apply-pm2-'));
  });
  afterAll(async () => {
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A miner folder with .env, a tuned env file, and the reporter running under pm2 with the .env values. */
  async function setup(name: string, tuned: string, pm2Options: string[] = []) {
    const minerDir = join(work, name);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(minerDir);
    writeFileSync(join(minerDir, '.env'), MINER_ENV);
    const tunedPath = join(work, `${name}.env`);
    writeFileSync(tunedPath, tuned);
    const report = await lab.start(name, { IMG_SIZE: '640', BATCH_SIZE: '32', FRAME_STRIDE: '2' }, pm2Options);
    expect(await eventually(() => lab.report(report).env.IMG_SIZE === '640')).toBe(true);
    const cli = (...args: string[]) => runCli(['apply', '--miner-dir', minerDir, ...args], { env: lab.env });
    return { minerDir, tunedPath, report, cli };
  }

  it('applies the tuned values: .env merged in place, the process sees them; --rollback restores the old ones', async () => {
    const m = await setup('miner-a', '# tuned\nIMG_SIZE=416\nBATCH_SIZE=48\nFRAME_STRIDE=1\nUSE_CONNECTION_POOL=1\n');
    const run = await m.cli('--env', m.tunedPath, '--pm2', 'miner-a', '--yes');
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('-IMG_SIZE=640   # model input');
    expect(run.stdout).toContain('+IMG_SIZE=416   # model input');
    expect(run.stdout).toMatch(/miner-a is online \(pid \d+\) with the new values/);

    const env = readFileSync(join(m.minerDir, '.env'), 'utf8');
    expect(env).toMatch(
      /^# miner settings\nexport WALLET_NAME=miner1\nIMG_SIZE=416   # model input\nBATCH_SIZE=48\n\nFRAME_STRIDE=1\n# added by autotune apply from miner-a\.env at .*\nUSE_CONNECTION_POOL=1\n$/,
    );
    const backups = readdirSync(m.minerDir).filter((n) => n.startsWith('.env.autotune-backup-'));
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/^\.env\.autotune-backup-\d{8}T\d{6}$/);
    expect(readFileSync(join(m.minerDir, backups[0]!), 'utf8')).toBe(MINER_ENV);
    const seen = lab.report(m.report).env;
    expect(seen).toEqual({ IMG_SIZE: '416', BATCH_SIZE: '48', FRAME_STRIDE: '1', USE_CONNECTION_POOL: '1' });

    const back = await m.cli('--rollback', '--pm2', 'miner-a');
    expect(back.stderr).toBe('');
    expect(back.exitCode).toBe(0);
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
    const restored = lab.report(m.report).env;
    // pm2 --update-env cannot unset a variable: the key apply added is reported, not silently kept.
    expect(back.stdout).toContain('miner-a still carries USE_CONNECTION_POOL=1 from the apply (pm2 restart --update-env cannot unset variables)');
    expect({ IMG_SIZE: restored.IMG_SIZE, BATCH_SIZE: restored.BATCH_SIZE, FRAME_STRIDE: restored.FRAME_STRIDE }).toEqual({
      IMG_SIZE: OLD.IMG_SIZE,
      BATCH_SIZE: OLD.BATCH_SIZE,
      FRAME_STRIDE: OLD.FRAME_STRIDE,
    });
    const again = await m.cli('--rollback');
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toMatch(/^autotune: nothing to roll back in [^\n]*$/);
  });

  it("keeps the operator's shell out of the miner: apply and --rollback restart it with its own environment plus the values", async () => {
    const m = await setup('miner-shell', '# tuned\nIMG_SIZE=416\n');
    const shell = { ...lab.env, AUTOTUNE_SHELL_CANARY: 'from-the-shell', NODE_OPTIONS: '--max-old-space-size=123' };
    const storedEnv = async () => {
      const saved = process.env.PM2_HOME;
      process.env.PM2_HOME = lab.home;
      try {
        return (await pm2List(PM2_BIN)).find((p) => p.name === 'miner-shell')!.env;
      } finally {
        if (saved === undefined) delete process.env.PM2_HOME;
        else process.env.PM2_HOME = saved;
      }
    };
    const before = await storedEnv();
    const run = await runCli(['apply', '--miner-dir', m.minerDir, '--env', m.tunedPath, '--pm2', 'miner-shell', '--yes'], { env: shell });
    expect(run.exitCode).toBe(0);
    const applied = await storedEnv();
    expect(applied.IMG_SIZE).toBe('416');
    expect(applied.AUTOTUNE_SHELL_CANARY).toBeUndefined();
    expect(applied.NODE_OPTIONS).toBe(before.NODE_OPTIONS);
    expect(applied.REPORT_FILE).toBe(before.REPORT_FILE);
    const back = await runCli(['apply', '--miner-dir', m.minerDir, '--rollback', '--pm2', 'miner-shell'], { env: shell });
    expect(back.exitCode).toBe(0);
    const restored = await storedEnv();
    expect(restored.IMG_SIZE).toBe('640');
    expect(restored.AUTOTUNE_SHELL_CANARY).toBeUndefined();
    expect(restored.NODE_OPTIONS).toBe(before.NODE_OPTIONS);
    expect(await eventually(() => lab.report(m.report).env.IMG_SIZE === '640')).toBe(true);
  });

  it('rolls back a restart that fails with the new values and keeps the process on the old ones', async () => {
    const m = await setup('miner-b', 'IMG_SIZE=928\nBATCH_SIZE=64\n');
    const before = snapshotDir(m.minerDir);
    const run = await m.cli('--env', m.tunedPath, '--pm2', 'miner-b', '--yes');
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^autotune: miner-b .*restored .*\.env from .*\.env\.autotune-backup-.* and restarted miner-b with the previous values/);
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
    // Only the backup remains as a trace; .env and everything else is as before.
    const after = snapshotDir(m.minerDir);
    for (const [name, bytes] of Object.entries(before)) expect(after[name], name).toBe(bytes);
    expect(Object.keys(after).filter((n) => !(n in before)).every((n) => n.startsWith('.env.autotune-backup-') || n === '.autotune-apply.json')).toBe(true);
    const seen = lab.report(m.report).env;
    expect(seen.IMG_SIZE).toBe('640');
    expect(seen.BATCH_SIZE).toBe('32');
    const status = JSON.parse((await lab.pm2('jlist')).replace(/^[^[]*/, '')).find((p: { name: string }) => p.name === 'miner-b');
    expect(status.pm2_env.status).toBe('online');
  });

  it('a process that comes up with the new values and dies half a second later is a failed restart too: rolled back', async () => {
    // Few restarts before pm2 gives up on it, so the crash loop ends soon.
    const m = await setup('miner-late', 'IMG_SIZE=896\n', ['--max-restarts', '3']);
    const run = await m.cli('--env', m.tunedPath, '--pm2', 'miner-late', '--yes');
    expect(run.exitCode, run.stdout).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^autotune: miner-late .*restored .*\.env from .*\.env\.autotune-backup-.* and restarted miner-late with the previous values/);
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
    expect(await eventually(() => lab.report(m.report).env.IMG_SIZE === '640')).toBe(true);
    const status = JSON.parse((await lab.pm2('jlist')).replace(/^[^[]*/, '')).find((p: { name: string }) => p.name === 'miner-late');
    expect(status.pm2_env.status).toBe('online');
  });

  it('refuses an unknown process name and a missing pm2 with one line, changing nothing', async () => {
    const m = await setup('miner-c', 'IMG_SIZE=416\n');
    const before = snapshotDir(m.minerDir);
    const unknown = await m.cli('--env', m.tunedPath, '--pm2', 'no-such-miner', '--yes');
    // The miner cannot be driven: the miner's exit code.
    expect(unknown.exitCode).toBe(6);
    expect(unknown.stderr).toMatch(/^autotune: pm2 has no process named no-such-miner \(known: .*miner-c.*\); nothing was changed/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshotDir(m.minerDir)).toEqual(before);

    const missing = await runCli(['apply', '--miner-dir', m.minerDir, '--env', m.tunedPath, '--pm2', 'miner-c', '--yes'], {
      env: { ...lab.env, PM2_BIN: join(work, 'no-pm2-here') },
    });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toMatch(/^autotune: pm2 not installed: PM2_BIN=.*no-pm2-here is not an executable file; nothing was changed/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshotDir(m.minerDir)).toEqual(before);
    expect(lab.report(m.report).env.IMG_SIZE).toBe('640');
  });

  it("reads the process list when the call starts pm2's daemon (its banner lines begin with '[' too)", async () => {
    const fresh = createPm2Lab();
    const saved = process.env.PM2_HOME;
    process.env.PM2_HOME = fresh.home;
    try {
      expect(await pm2List(PM2_BIN)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.PM2_HOME;
      else process.env.PM2_HOME = saved;
      await fresh.close();
    }
  });

  it('names a pm2 whose daemon does not run (another user\'s pm2 runs the miner?) and starts none', async () => {
    const fresh = createPm2Lab(); // no daemon runs in its PM2_HOME
    try {
      const minerDir = join(work, 'miner-d');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(minerDir);
      writeFileSync(join(minerDir, '.env'), MINER_ENV);
      writeFileSync(join(work, 'miner-d.env'), 'IMG_SIZE=416\n');
      const dry = await runCli(['apply', '--miner-dir', minerDir, '--env', join(work, 'miner-d.env'), '--pm2', 'miner-d'], { env: fresh.env });
      expect(dry.stderr).toMatch(/^autotune: no pm2 daemon runs for this user \(PM2_HOME .*pm2-home-\w+\), so no process named miner-d; nothing was changed \(run autotune as the user whose pm2 runs the miner/);
      expect(dry.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(join(fresh.home, 'pm2.pid'))).toBe(false);
    } finally {
      await fresh.close();
    }
  });
});
