// A short study on the lab with a CPU-burning child process switched on halfway, beside the same study
// on a quiet host: the loaded run warns that the host's speed changed (in its output, the report and
// best.env) and still crowns the quiet run's winner, or one tied with it, by ranking on the ratio to
// the control. The space's configs answer 12, 6 or 3 frames (stride 1, 2, 4), so the winner does not
// depend on the machine's speed. Tiny clips keep it short.
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const burner = fileURLToPath(new URL('../../scripts/bench/cpu-burner.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'autotune-drift-e2e-'));
const samples = join(dir, 'samples');
const space = join(dir, 'burn.yaml');
const model = 'models/lab-detector.onnx';

const SPACE = `
name: burn
params:
  FRAME_STRIDE: { type: categorical, choices: [1, 2, 4], default: 1 }
fixed:
  IMG_SIZE: 320
  BATCH_SIZE: 8
  CONF_THRESHOLD: 0.25
  CHUNKED_STREAMING: 0
  ENABLE_HTTP2: 0
  PARTIAL_DOWNLOAD: 0
  USE_CONNECTION_POOL: 1
  USE_NVDEC: 0
  TIME_BUDGET_S: 120
  START_BUDGET_AFTER_FIRST_FRAME: 1
reference: { IMG_SIZE: 320, FRAME_STRIDE: 1, BATCH_SIZE: 8, CONF_THRESHOLD: 0.25, TIME_BUDGET_S: 600 }
baselines:
  fork-default: { IMG_SIZE: 320, FRAME_STRIDE: 1 }
`;

beforeAll(async () => {
  mkdirSync(samples);
  for (const seed of [1, 2]) {
    const clip = await labClip({ frames: 12, width: 320, height: 180, seed });
    copyFileSync(clip.path, join(samples, `clip-${seed}.mp4`));
    copyFileSync(clip.truthPath, join(samples, `clip-${seed}.truth.json`));
  }
  writeFileSync(space, SPACE);
});

const study = (db: string) => [
  'run', '--samples', samples, '--space', space, '--db', db, '--model', model, '--device', 'cpu',
  '--sampler', 'grid', '--seed', '1', '--trials', '2', '--repeats', '2', '--confirm-top', '2', '--confirm-repeats', '3',
  // Stride 4 answers a quarter of the frames: the floor lets every config be feasible, so speed decides.
  '--accuracy-floor', '0.1',
];

interface Row {
  number: number;
  params: { FRAME_STRIDE: number };
  tiedWithBest: boolean;
  feasible: boolean;
  dropped: unknown;
  drift: { detected: boolean; factor: number };
}

async function ranking(db: string): Promise<Row[]> {
  const run = await runCli(['trials', '--db', db, '--json']);
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Row[];
}

const key = (r: Row) => `stride ${r.params.FRAME_STRIDE}`;

describe('autotune run with the host loaded halfway (real pipeline, CPU burner)', () => {
  it('warns in the output, the report and best.env, and keeps the quiet run\'s winner', async () => {
    const quietDb = join(dir, 'quiet.db');
    const quiet = await runCli(study(quietDb));
    expect(quiet.exitCode, `${quiet.stdout}\n${quiet.stderr}`).toBe(0);
    const quietRows = await ranking(quietDb);
    const quietWinner = quietRows[0]!;

    const loadedDb = join(dir, 'loaded.db');
    const child = execa('node', cliArgs(study(loadedDb)), { cwd: root, reject: false, stdin: 'ignore', all: true, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    let load: ReturnType<typeof execa> | null = null;
    child.all!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Halfway: the baseline and one of the two sampled trials are done.
      if (!load && (out.match(/^trial \d+ done/gm) ?? []).length >= 2) load = execa('node', [burner], { reject: false });
    });
    let run;
    try {
      run = await child;
    } finally {
      if (load) {
        (load as ReturnType<typeof execa>).kill('SIGKILL');
        await load;
      }
    }
    expect(load, 'the burner started').not.toBeNull();
    expect(run.exitCode, out).toBe(0);
    // Seen by the control's rounds or, when the load came after its last round, by the baselines'
    // race figures against their search figures: either way the line names the factor.
    expect(out).toMatch(/warning: the host's speed changed during the study: (the control \(fork-default\) ran|the baselines' race figures moved) \d+\.\d\dx/);

    const rows = await ranking(loadedDb);
    expect(rows[0]!.drift.detected).toBe(true);
    expect(rows[0]!.drift.factor).toBeGreaterThan(1.15);
    // The quiet run's winner wins again, or the two are tied: in the loaded run's race, or in the quiet
    // run's (strides 2 and 4 differ by 3 of 12 frames' inference, which the other tests' load can hide).
    const again = rows.find((r) => key(r) === key(quietWinner) && r.feasible && !r.dropped);
    const tiedLoaded = again !== undefined && (again.number === rows[0]!.number || again.tiedWithBest);
    const loadedInQuiet = quietRows.find((r) => key(r) === key(rows[0]!));
    const tiedQuiet = loadedInQuiet !== undefined && (loadedInQuiet.number === quietWinner.number || loadedInQuiet.tiedWithBest);
    expect(tiedLoaded || tiedQuiet, `quiet ranking ${quietRows.map(key).join(', ')}; loaded ranking ${rows.map(key).join(', ')}`).toBe(true);

    const outDir = join(dir, 'out');
    const emit = await runCli(['emit', '--db', loadedDb, '--out', outDir]);
    expect(emit.exitCode, emit.stderr).toBe(0);
    expect(readFileSync(join(outDir, 'best.env'), 'utf8')).toMatch(/^# warning: the host's speed changed during the study/m);
    const report = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(report).toMatch(/warning: the host&#39;s speed changed during the study/);
    expect(report).toContain('data-chart="control"');
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
    expect(summary.drift).toMatchObject({ detected: true });
  }, 900_000);
});
