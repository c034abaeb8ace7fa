// The acceptance study: `autotune run --evaluator miner` against `autotune lab miner` under a real pm2
// (its own PM2_HOME), two short lab clips, a grid over FRAME_STRIDE {1, 5} x IMG_SIZE {320, 640}. The
// measured coverage and accuracy follow the knobs, the winner is emitted, and the miner's .env and
// process environment are back to the original after the study and after a Ctrl-C inside a trial.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, runCli } from '../helpers/cli.js';
import { createPm2Lab, type Pm2Lab } from '../apply/pm2-fixture.js';
import { FIXTURES, freePort, pm2Env, sampleDir } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const model = 'models/lab-detector.onnx';
const ORIGINAL = {
  IMG_SIZE: '640',
  FRAME_STRIDE: '2',
  BATCH_SIZE: '8',
  CONF_THRESHOLD: '0.35',
  PARTIAL_DOWNLOAD: '0',
  USE_NVDEC: '0',
  TIME_BUDGET_S: '120',
};
const MINER_ENV = `# lab miner settings\n${Object.entries(ORIGINAL).map(([k, v]) => `${k}=${v}`).join('\n')}\nWALLET_NAME=miner1   # not a knob\n`;

interface TrialJson {
  number: number;
  params: { FRAME_STRIDE: number; IMG_SIZE: number };
  state: string;
  feasible: boolean;
  accuracy: number | null;
  coverage: number | null;
  truthF1: number | null;
  setupS: number | null;
}

describe('a study of autotune lab miner under pm2', () => {
  let lab: Pm2Lab;
  let work: string;
  let samples: string;
  let minerDir: string;
  let port: number;
  let db: string;
  beforeAll(async () => {
    lab = createPm2Lab();
    work = mkdtempSync(join(tmpdir(), 'lab-miner-study-'));
    samples = await sampleDir(work, 2);
    minerDir = join(work, 'miner');
    mkdirSync(minerDir);
    writeFileSync(join(minerDir, '.env'), MINER_ENV);
    db = join(work, 'miner.db');
    port = await freePort();
    await execa(join(root, 'node_modules/.bin/pm2'), ['start', process.execPath, '--name', 'lab-miner', '--', ...cliArgs(['lab', 'miner', '--port', String(port), '--device', 'cpu', '--model', model])], {
      cwd: root,
      env: { ...lab.env, ...ORIGINAL },
      stdin: 'ignore',
    });
    for (let i = 0; i < 200 && !(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  });

  const study = (name: string, more: string[] = []) => [
    'run', '--evaluator', 'miner', '--miner-url', `http://127.0.0.1:${port}`, '--miner-dir', minerDir, '--pm2', 'lab-miner',
    '--samples', samples, '--space', join(FIXTURES, 'grid.yaml'), '--db', db, '--study', name, '--sampler', 'grid', '--ready-timeout', '60', ...more,
  ];

  async function expectOriginal(): Promise<void> {
    expect(readFileSync(join(minerDir, '.env'), 'utf8')).toBe(MINER_ENV);
    expect(readdirSync(minerDir)).toEqual(['.env']);
    const proc = await pm2Env(lab, 'lab-miner', Object.keys(ORIGINAL));
    expect(proc).toMatchObject({ status: 'online', env: ORIGINAL });
    // What the running miner itself says it runs with.
    const running = (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.json())) as { pid: number; config: Record<string, number> };
    expect(running.pid).toBe(proc.pid);
    expect(running.config).toMatchObject({ IMG_SIZE: 640, FRAME_STRIDE: 2, CONF_THRESHOLD: 0.35 });
  }

  it('measures the grid through the running miner; coverage and accuracy follow the knobs; the winner is emitted; the miner is restored', async () => {
    const run = await runCli(study('grid', ['--trials', '4', '--repeats', '1', '--confirm-top', '1', '--confirm-repeats', '1', '--accuracy-floor', '0.9']), { env: lab.env });
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/serving 2 sample\(s\) from .* at http:\/\//);
    expect(run.stdout).toMatch(/reference: the miner's answer for .*clip-1\.mp4 under the space's reference config/);
    expect(run.stdout).toMatch(/restoring the miner: .*\.env as found, pm2 process lab-miner on its original values/);
    expect(run.stdout).toContain(`\nmeasured by a running miner at http://127.0.0.1:${port}, timed as a validator times it: from the POST to the last byte of the reply\n`);

    const trials = JSON.parse((await runCli(['trials', '--db', db, '--study', 'grid', '--json'])).stdout) as TrialJson[];
    expect(trials).toHaveLength(4);
    const at = (stride: number, size: number) => trials.find((t) => t.params.FRAME_STRIDE === stride && t.params.IMG_SIZE === size)!;
    for (const size of [320, 640]) {
      expect(at(1, size).coverage).toBe(1);
      expect(at(5, size).coverage).toBeCloseTo(5 / 25, 10);
      expect(at(5, size).accuracy!).toBeLessThan(at(1, size).accuracy!);
      expect(at(5, size).accuracy!).toBeLessThan(0.5);
    }
    // Every frame at the reference's size is the reference's own answer.
    expect(at(1, 640).accuracy).toBe(1);
    expect(at(1, 320).accuracy!).toBeLessThanOrEqual(1);
    expect(at(1, 640).truthF1!).toBeGreaterThan(at(5, 640).truthF1!);
    expect(trials[0]).toMatchObject({ feasible: true, params: { FRAME_STRIDE: 1 } });
    // Each trial the miner restarted for was timed from the restart to its first answer.
    expect(trials.filter((t) => t.setupS !== null).length).toBeGreaterThanOrEqual(3);
    for (const t of trials) if (t.setupS !== null) expect(t.setupS).toBeGreaterThan(0);

    const out = join(work, 'out');
    const emit = await runCli(['emit', '--db', db, '--study', 'grid', '--out', out]);
    expect(emit.exitCode, emit.stderr).toBe(0);
    const best = readFileSync(join(out, 'best.env'), 'utf8');
    expect(best).toMatch(/^export FRAME_STRIDE=1$/m);
    expect(best).toContain(`export IMG_SIZE=${trials[0]!.params.IMG_SIZE}`);
    expect(best).toContain(`# measured by a running miner at http://127.0.0.1:${port}, timed as a validator times it: from the POST to the last byte of the reply\n`);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).study.measuredBy).toMatchObject({ evaluator: 'a running miner', proxy: false });
    await expectOriginal();
  }, 600_000);

  it('Ctrl-C inside a trial: the current challenge ends, the miner is restored, exit 130', async () => {
    // A low floor: no trial is judged hopeless after its first challenge, so the stop is what ends trial 1.
    const args = ['--trials', '4', '--repeats', '1', '--confirm-repeats', '0', '--accuracy-floor', '0.1'];
    const child = execa('node', cliArgs(study('ctrl-c', args)), { cwd: root, env: lab.env, reject: false, stdin: 'ignore' });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`trial 1 did not start:\n${out}`)), 300_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/trial 1 \(2\/4\) started/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.exitCode, `${stopped.stdout}\n${stopped.stderr}`).toBe(130);
    expect(stopped.stdout).toMatch(/restoring the miner: .*\.env as found/);
    const trials = JSON.parse((await runCli(['trials', '--db', db, '--study', 'ctrl-c', '--json'])).stdout) as TrialJson[];
    expect(trials.map((t) => t.state).sort()).toEqual(['COMPLETE', 'PRUNED']);
    await expectOriginal();
  }, 600_000);
});
