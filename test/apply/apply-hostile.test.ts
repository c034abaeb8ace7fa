// `autotune apply` given what it should not write: keys outside the space, loader variables, values
// outside a knob's range; a symlinked .env; a read-only miner folder. Nothing is written that the user
// did not ask for, and a refusal is one line before anything changes.
import { execa } from 'execa';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, runCli } from '../helpers/cli.js';
import { createPm2Lab, eventually, type Pm2Lab } from './pm2-fixture.js';
import { snapshotDir } from './snapshot.js';

const MINER_ENV = '# miner\nWALLET=miner-hotkey\nIMG_SIZE=640\nBATCH_SIZE=32\n';
const repo = fileURLToPath(new URL('../..', import.meta.url));

let work: string;
let n = 0;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'apply-hostile-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function miner(tuned: string, env: string | null = MINER_ENV) {
  n += 1;
  const minerDir = join(work, `m${n}`);
  mkdirSync(minerDir);
  if (env !== null) writeFileSync(join(minerDir, '.env'), env);
  const tunedPath = join(work, `tuned${n}.env`);
  writeFileSync(tunedPath, tuned);
  const cli = (...args: string[]) => runCli(['apply', '--miner-dir', minerDir, '--env', tunedPath, ...args]);
  return { minerDir, tunedPath, cli };
}

describe('apply writes only the knobs the tuner knows', () => {
  it.each([
    ['a key outside the space (WALLET)', 'IMG_SIZE=416\nWALLET=attacker\n', /^autotune: \S+tuned\d+\.env: line 2: WALLET=attacker: not a knob of the space sn44; nothing was changed \(.*to write a key outside the space anyway, name it with --allow-key KEY\)$/],
    ['a value that is not a number', 'IMG_SIZE=abc\n', /line 1: IMG_SIZE=abc: "abc" is not a number \(int expected\); nothing was changed/],
    ['a negative size', 'IMG_SIZE=-640\n', /line 1: IMG_SIZE=-640: -640 is outside 320\.\.960; nothing was changed/],
    ['a size off the step grid', 'IMG_SIZE=500\n', /line 1: IMG_SIZE=500: 500 is not on the step grid 320 \+ k\*32/],
    ['a bool that is not 0/1', 'CHUNKED_STREAMING=yes\n', /line 1: CHUNKED_STREAMING=yes: "yes" is not a number \(bool: 0 or 1 expected\)/],
    ['PATH', 'IMG_SIZE=416\nPATH=/tmp/evil\n', /tuned\d+\.env:2: PATH changes how programs load \(like PATH, LD_\*, NODE_OPTIONS, PYTHONPATH\); apply never writes it: "PATH=\/tmp\/evil"; nothing was changed/],
    ['LD_PRELOAD', 'LD_PRELOAD=/tmp/evil.so\n', /tuned\d+\.env:1: LD_PRELOAD changes how programs load/],
    ['NODE_OPTIONS', 'NODE_OPTIONS=--require=/tmp/x.js\n', /tuned\d+\.env:1: NODE_OPTIONS changes how programs load/],
    ['PYTHONPATH', 'PYTHONPATH=/tmp\n', /tuned\d+\.env:1: PYTHONPATH changes how programs load/],
  ])('refuses %s with one line and changes nothing', async (_what, tuned, line) => {
    const m = miner(tuned);
    const before = snapshotDir(m.minerDir);
    const run = await m.cli('--yes');
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(line);
    expect(snapshotDir(m.minerDir)).toEqual(before);
  });

  it('refuses in a dry run too, before printing any diff', async () => {
    const m = miner('IMG_SIZE=416\nWALLET=attacker\n');
    const run = await m.cli();
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/line 2: WALLET=attacker: not a knob of the space sn44; nothing was changed/);
  });

  it('names every bad line at once', async () => {
    const m = miner('IMG_SIZE=-640\nWALLET=attacker\nBATCH_SIZE=1000\n');
    const run = await m.cli('--yes');
    expect(run.stderr).toMatch(/line 1: IMG_SIZE=-640: -640 is outside 320\.\.960; line 2: WALLET=attacker: not a knob of the space sn44; line 3: BATCH_SIZE=1000: 1000 is outside 1\.\.64; nothing was changed/);
  });

  it('writes a key outside the space when named with --allow-key, and only that one', async () => {
    const m = miner('IMG_SIZE=416\nWALLET=other-hotkey\n');
    const run = await m.cli('--allow-key', 'WALLET', '--yes');
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe('# miner\nWALLET=other-hotkey\nIMG_SIZE=416\nBATCH_SIZE=32\n');
    const other = miner('IMG_SIZE=416\nWALLET=other-hotkey\nHOTKEY=x\n');
    const refused = await other.cli('--allow-key', 'WALLET', '--yes');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/line 3: HOTKEY=x: not a knob of the space sn44; nothing was changed/);
  });

  it.each(['PATH', 'LD_PRELOAD', 'PYTHONHOME'])('--allow-key %s is refused: loader variables are never written', async (key) => {
    const m = miner('IMG_SIZE=416\n');
    const run = await m.cli('--allow-key', key, '--yes');
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(new RegExp(`^autotune: --allow-key ${key}: ${key} changes how programs load`));
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
  });

  it('checks against --space: a quick-space result applies with --space quick.yaml; without it the line says which space made the file', async () => {
    const tuned = [
      '# sn44-autotune: best config of study "quick" (search-spaces/quick.yaml), trial 7',
      'export BATCH_SIZE=8',
      'export IMG_SIZE=480',
      'export PARTIAL_DOWNLOAD=0',
      'export TIME_BUDGET_S=120',
      '',
    ].join('\n');
    const m = miner(tuned);
    const refused = await m.cli('--yes');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/line 5: TIME_BUDGET_S=120: 120 is outside 1\.\.15; nothing was changed \(the file was written by a study of search-spaces\/quick\.yaml: pass --space search-spaces\/quick\.yaml\)/);
    const ok = await m.cli('--space', join(repo, 'search-spaces', 'quick.yaml'), '--yes');
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toContain('IMG_SIZE=480\nBATCH_SIZE=8\n');
    // A fixed knob takes the space's value only.
    const fixed = miner('TIME_BUDGET_S=60\n');
    const off = await fixed.cli('--space', join(repo, 'search-spaces', 'quick.yaml'));
    expect(off.stderr).toMatch(/line 1: TIME_BUDGET_S=60: 60 is not 120, the value the space fixes/);
  });
});

describe('a symlinked .env', () => {
  function linkedMiner(tuned: string) {
    const m = miner(tuned, null);
    const shared = join(work, `shared${n}`);
    mkdirSync(shared);
    writeFileSync(join(shared, 'miner.env'), MINER_ENV);
    symlinkSync(`../shared${n}/miner.env`, join(m.minerDir, '.env'));
    return { ...m, target: join(shared, 'miner.env') };
  }

  it('is written through the link (the link stays), and --rollback restores the content, keeping the link', async () => {
    const m = linkedMiner('IMG_SIZE=416\n');
    const run = await m.cli('--yes');
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`${join(m.minerDir, '.env')} is a link to ${m.target}: apply writes through it and keeps the link`);
    expect(lstatSync(join(m.minerDir, '.env')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(m.minerDir, '.env'))).toBe(`../shared${n}/miner.env`);
    expect(readFileSync(m.target, 'utf8')).toBe('# miner\nWALLET=miner-hotkey\nIMG_SIZE=416\nBATCH_SIZE=32\n');
    expect(readdirSync(join(work, `shared${n}`))).toEqual(['miner.env']); // no temp file left beside it
    const back = await runCli(['apply', '--rollback', '--miner-dir', m.minerDir]);
    expect(back.exitCode).toBe(0);
    expect(readlinkSync(join(m.minerDir, '.env'))).toBe(`../shared${n}/miner.env`);
    expect(readFileSync(m.target, 'utf8')).toBe(MINER_ENV);
  });

  it('--rollback puts the link back when something replaced it with a file', async () => {
    const m = linkedMiner('IMG_SIZE=416\n');
    await m.cli('--yes');
    rmSync(join(m.minerDir, '.env'));
    writeFileSync(join(m.minerDir, '.env'), 'IMG_SIZE=416\n# edited by hand\n');
    const back = await runCli(['apply', '--rollback', '--miner-dir', m.minerDir]);
    expect(back.exitCode).toBe(0);
    expect(back.stdout).toContain(`put back the link ${join(m.minerDir, '.env')} -> ../shared${n}/miner.env`);
    expect(readlinkSync(join(m.minerDir, '.env'))).toBe(`../shared${n}/miner.env`);
    expect(readFileSync(m.target, 'utf8')).toBe(MINER_ENV);
  });

  it('a link that points nowhere is refused, and nothing is created', async () => {
    const m = miner('IMG_SIZE=416\n', null);
    symlinkSync('/nonexistent/miner.env', join(m.minerDir, '.env'));
    const run = await m.cli('--yes');
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toBe(
      `autotune: ${join(m.minerDir, '.env')} is a link to /nonexistent/miner.env, which does not exist; nothing was changed (point the link at the miner's env file, or remove it so apply creates .env)`,
    );
    expect(readdirSync(m.minerDir)).toEqual(['.env']);
    expect(existsSync('/nonexistent/miner.env')).toBe(false);
  });
});

// A read-only folder needs a mount: a private mount namespace (unshare) makes one without touching the host.
const unshare = await execa('unshare', ['-rm', 'true'], { reject: false }).then((r) => r.exitCode === 0, () => false);
if (!unshare) console.log('apply on a read-only folder skipped: unshare -rm is not permitted here');

describe.skipIf(!unshare)('a read-only miner folder', () => {
  /** Runs `autotune apply ARGS` with each of RO bind-mounted read-only in a private mount namespace. */
  const inReadOnly = (ro: string[], args: string[]) => {
    const mounts = ro.map((d) => `mount --bind "${d}" "${d}" && mount -o remount,ro,bind "${d}"`).join(' && ');
    return execa('unshare', ['-rm', 'sh', '-c', `${mounts} && exec "$@"`, 'sh', 'node', ...cliArgs(['apply', ...args])], {
      cwd: repo,
      reject: false,
      stdin: 'ignore',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
  };

  it('EROFS: one line naming the file, that the file system is read-only, and what to do', async () => {
    const m = miner('IMG_SIZE=416\n');
    const before = snapshotDir(m.minerDir);
    const run = await inReadOnly([m.minerDir], ['--miner-dir', m.minerDir, '--env', m.tunedPath, '--yes']);
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr).trim()).toMatch(
      new RegExp(`^autotune: cannot write ${m.minerDir}/\\.env\\.autotune-backup-\\d{8}T\\d{6}: the file system is read-only \\(EROFS\\); nothing was changed \\(remount it read-write`),
    );
    expect(snapshotDir(m.minerDir)).toEqual(before);
  });

  it('a write that fails after the backup (a linked .env on a read-only mount) undoes the backup and the record', async () => {
    const m = miner('IMG_SIZE=416\n', null);
    const shared = join(work, `ro-shared${n}`);
    mkdirSync(shared);
    writeFileSync(join(shared, 'miner.env'), MINER_ENV);
    symlinkSync(join(shared, 'miner.env'), join(m.minerDir, '.env'));
    const before = snapshotDir(m.minerDir);
    const run = await inReadOnly([shared], ['--miner-dir', m.minerDir, '--env', m.tunedPath, '--yes']);
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr).trim()).toMatch(/^autotune: cannot write .*: the file system is read-only \(EROFS\); nothing was changed/);
    expect(snapshotDir(m.minerDir)).toEqual(before);
    expect(readFileSync(join(shared, 'miner.env'), 'utf8')).toBe(MINER_ENV);
  });
});

describe('with a real pm2', () => {
  let lab: Pm2Lab;
  beforeAll(() => {
    lab = createPm2Lab();
  });
  afterAll(async () => {
    await lab.close();
  });

  it('a refused key restarts nothing: the process keeps its pid and values', async () => {
    const m = miner('IMG_SIZE=416\nWALLET=attacker\nLD_PRELOAD=/tmp/evil.so\n');
    const report = await lab.start('miner-w', { IMG_SIZE: '640' });
    expect(await eventually(() => lab.report(report).env.IMG_SIZE === '640')).toBe(true);
    const pid = lab.report(report).pid;
    const run = await runCli(['apply', '--miner-dir', m.minerDir, '--env', m.tunedPath, '--pm2', 'miner-w', '--yes'], { env: lab.env });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/LD_PRELOAD changes how programs load/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lab.report(report)).toMatchObject({ pid, env: { IMG_SIZE: '640' } });
    expect(readFileSync(join(m.minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
  });

  it('a symlinked .env: the restarted process sees the new values and the link stays', async () => {
    const m = miner('IMG_SIZE=416\nBATCH_SIZE=48\n', null);
    const shared = join(work, `pm2-shared${n}`);
    mkdirSync(shared);
    writeFileSync(join(shared, 'miner.env'), MINER_ENV);
    symlinkSync(join(shared, 'miner.env'), join(m.minerDir, '.env'));
    const report = await lab.start('miner-l', { IMG_SIZE: '640', BATCH_SIZE: '32' });
    expect(await eventually(() => lab.report(report).env.IMG_SIZE === '640')).toBe(true);
    const run = await runCli(['apply', '--miner-dir', m.minerDir, '--env', m.tunedPath, '--pm2', 'miner-l', '--yes'], { env: lab.env });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(lab.report(report).env).toMatchObject({ IMG_SIZE: '416', BATCH_SIZE: '48' });
    expect(lstatSync(join(m.minerDir, '.env')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(shared, 'miner.env'), 'utf8')).toContain('IMG_SIZE=416\nBATCH_SIZE=48\n');
  });
});
