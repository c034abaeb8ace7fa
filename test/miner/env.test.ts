// The miner's .env during a study: rewritten per config through the apply machinery, put back byte
// for byte, a symlinked .env written through (the link stays).
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupEnv, restoreEnvFile, snapshotMinerEnv, tunedValuesOf, writeEnvWith } from '../../src/miner/env.js';
import { tailLines } from '../../src/miner/restart/index.js';

const ENV = '\uFEFF# miner\r\nexport WALLET_NAME="miner one"\r\nIMG_SIZE=640   # input\r\n';

describe("a miner's .env during a study", () => {
  it('sets the config in place, keeps every other byte, and restores the file exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miner-env-'));
    writeFileSync(join(dir, '.env'), ENV, { mode: 0o640 });
    const snapshot = await snapshotMinerEnv(dir);
    const backup = await backupEnv(snapshot, new Date('2026-01-02T03:04:05Z'));
    expect(backup).toMatch(/\.env\.autotune-study-backup-20260102T030405$/);
    await writeEnvWith(snapshot, tunedValuesOf({ IMG_SIZE: 320, FRAME_STRIDE: 5, USE_NVDEC: false }, 'trial'), 'set for a trial');
    const written = readFileSync(join(dir, '.env'), 'utf8');
    expect(written).toBe('\uFEFF# miner\r\nexport WALLET_NAME="miner one"\r\nIMG_SIZE=320   # input\r\n# set for a trial\r\nFRAME_STRIDE=5\r\nUSE_NVDEC=0\r\n');
    expect(lstatSync(join(dir, '.env')).mode & 0o777).toBe(0o640);
    await restoreEnvFile(snapshot.path, backup);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(ENV);
  });

  it('writes through a symlinked .env and leaves the link in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miner-env-link-'));
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'miner.env'), ENV);
    symlinkSync(join('shared', 'miner.env'), join(dir, '.env'));
    const snapshot = await snapshotMinerEnv(dir);
    const backup = await backupEnv(snapshot, new Date());
    await writeEnvWith(snapshot, tunedValuesOf({ IMG_SIZE: 416 }, 'trial'), 'note');
    expect(lstatSync(join(dir, '.env')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'shared', 'miner.env'), 'utf8')).toContain('IMG_SIZE=416   # input');
    await restoreEnvFile(snapshot.path, backup);
    expect(readlinkSync(join(dir, '.env'))).toBe(join('shared', 'miner.env'));
    expect(readFileSync(join(dir, 'shared', 'miner.env'), 'utf8')).toBe(ENV);
  });

  it('removes a .env the study created, and refuses values that are not plain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miner-env-none-'));
    const snapshot = await snapshotMinerEnv(dir);
    expect(snapshot.bytes).toBeNull();
    await writeEnvWith(snapshot, tunedValuesOf({ IMG_SIZE: 416 }, 'trial'), 'note');
    await restoreEnvFile(snapshot.path, await backupEnv(snapshot, new Date()));
    expect(() => readFileSync(join(dir, '.env'))).toThrow(/ENOENT/);
    expect(() => tunedValuesOf({ MODEL: 'a b' }, 'the trial config')).toThrow(/the trial config:1: not a plain KEY=VALUE line: "MODEL=a b"/);
    expect(() => tunedValuesOf({ MODEL: '$(reboot)' }, 'the trial config')).toThrow(/not a plain value/);
    expect(() => tunedValuesOf({ 'lower-case': 1 }, 'the trial config')).toThrow(/not a plain KEY=VALUE line|invalid name/);
  });

  it("keeps a crash loop's log short: the last distinct lines", () => {
    expect(tailLines('start\nIMG_SIZE=13 bad\nIMG_SIZE=13 bad\n\x1b[31mIMG_SIZE=13 bad\x1b[39m\n')).toBe('start | IMG_SIZE=13 bad');
  });
});
