import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { medianRun } from '../../src/cli/commands/diagnose.js';
import { runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';

let dir: string;
let modelPath: string;
let clip: Awaited<ReturnType<typeof labClip>>;
let server: LabServer;
let failing: LabServer;
let url: string;

// Small and quick: IMG_SIZE 224 and a reference at 224, software decode.
const FAST = ['--set', 'IMG_SIZE=224', '--set', 'USE_NVDEC=0', '--reference-img-size', '224', '--device', 'cpu'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'diagnose-'));
  modelPath = join(dir, 'lab-detector.onnx');
  await writeFile(modelPath, buildLabDetector().bytes);
  clip = await labClip();
  server = await startLabServer({ dir: dirname(clip.path), port: 0, httpPort: 0 });
  failing = await startLabServer({ dir: dirname(clip.path), port: 0, httpPort: 0, fault: 'status=503' });
  url = `${server.httpsUrl}${basename(clip.path)}`;
});
afterAll(async () => {
  await server?.close();
  await failing?.close();
});

describe('autotune diagnose', () => {
  it('prints the timeline, bars, bottleneck and figures, taking knobs from an env file', async () => {
    const env = join(dir, 'miner.env');
    await writeFile(env, '# miner\nexport FRAME_STRIDE=1\nBATCH_SIZE="16"\nWALLET_NAME=default\n');
    const run = await runCli(['diagnose', url, '--ca', server.caPath, '--model', modelPath, '--env', env, '--truth', clip.truthPath, ...FAST]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('ignored 1 variable(s) that are not knobs: WALLET_NAME');
    const out = run.stdout;
    for (const mark of ['connected', 'firstByte', 'downloadEnd', 'decoderStart', 'firstFrame', 'firstBatch', 'lastFrame', 'total']) {
      expect(out).toMatch(new RegExp(`^${mark} +\\d+\\.\\d{3}s +\\|`, 'm'));
    }
    expect(out).toMatch(/^infer +\d+\.\d{3}s +█+/m);
    expect(out).toMatch(/^bottleneck +(connect|wait|download|decode|infer) \(/m);
    expect(out).toContain('FRAME_STRIDE=1 ');
    expect(out).toContain('BATCH_SIZE=16 ');
    expect(out).toMatch(/frames +decoded 50, answered 50, in video 50/);
    expect(out).toMatch(/accuracy +F1 \d\.\d{3} vs reference; coverage 100\.0%; F1 \d\.\d{3} vs truth/);
    expect(out).toMatch(/SN44 +\d\.\d{3} estimated/);
    expect(out).toMatch(/error +none/);
  });

  it('--class-map reaches the detector: swapping player and referee ruins F1 against truth', async () => {
    const run = (map: string) =>
      runCli(['diagnose', url, '--ca', server.caPath, '--model', modelPath, '--json', '--truth', clip.truthPath, '--class-map', map, ...FAST]);
    const same = JSON.parse((await run('0=ball,1=goalkeeper,2=player,3=referee')).stdout);
    const swapped = JSON.parse((await run('0=ball,1=goalkeeper,2=referee,3=player')).stdout);
    expect(same.truthF1).toBeGreaterThan(swapped.truthF1 + 0.3);
    // The reference is made with the same map (and cached under it), so agreement with the reference
    // does not depend on the labels: a permutation of classes matches exactly as before.
    expect(swapped.accuracy).toBeCloseTo(same.accuracy, 6);
  });

  it('--model-layout reaches the detector: the lab detector read as end2end fails the challenge with the shapes', async () => {
    const run = await runCli(['diagnose', url, '--ca', server.caPath, '--model', modelPath, '--json', '--model-layout', 'end2end', ...FAST]);
    // A model failure: the result is printed, then exit 5 (see the README's exit codes).
    expect(run.exitCode).toBe(5);
    const o = JSON.parse(run.stdout);
    expect(o.error.reason).toBe('model');
    // The CPU provider gets one frame per model call (cpuModelBatch). The hint crosses the inference thread as data.
    const message = `inference failed: model ${modelPath}: --model-layout end2end expects [N,K,6], but the model has outputs output0 [1, 8, 5684] at input 224x224`;
    const hint = 'check the export, or pass another --model-layout yolov8|yolov5|end2end|rtdetr';
    expect(o.error.message).toBe(message);
    expect(o.error.hint).toBe(hint);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(`autotune: the challenge failed (model): ${message} (${hint})`);
    expect(o.framesAnswered).toBe(0);
  });

  it('--json gives one object with the median run and every run under runs', async () => {
    const run = await runCli(['diagnose', url, '--ca', server.caPath, '--model', modelPath, '--json', '--repeats', '2', '--set', 'ENABLE_HTTP2=1', ...FAST]);
    expect(run.exitCode).toBe(0);
    const o = JSON.parse(run.stdout);
    expect(Object.keys(o.timeline)).toEqual(['connected', 'firstByte', 'downloadEnd', 'decoderStart', 'firstFrame', 'firstBatch', 'lastFrame', 'total']);
    expect(o).toMatchObject({ protocol: 'h2', framesInVideo: 50, framesAnswered: 25, coverage: 0.5, provider: 'cpu', error: null });
    expect(o.bytes).toBe(clip.bytes);
    for (const key of ['framesDecoded', 'accuracy', 'sn44', 'decoder', 'bottleneck']) expect(o[key]).not.toBeUndefined();
    expect(o.accuracy).toBeGreaterThan(0);
    expect(o.runs).toHaveLength(2);
    expect(o.runs.map((r: { timeline: { total: number } }) => r.timeline.total)).toContain(o.timeline.total);
  });

  it('prints a failed challenge, then exits 3 with one line naming it', async () => {
    const url = `${failing.httpsUrl}${basename(clip.path)}`;
    const run = await runCli(['diagnose', url, '--ca', failing.caPath, '--model', modelPath, '--json', ...FAST]);
    expect(run.exitCode).toBe(3);
    const o = JSON.parse(run.stdout);
    expect(o.error.reason).toBe('http-status');
    expect(o.framesAnswered).toBe(0);
    expect(o.accuracy).toBeNull(); // no reference can be made from a server that answers 503
    expect(run.stderr).toBe(`autotune: the challenge failed (http-status): HTTP 503 from ${url} (check the URL)`);
  });

  it('--save stores the runs as one trial of study "diagnose" (or --study), which trials and show read back', async () => {
    const db = join(dir, 'diagnoses.db');
    const ok = await runCli(['diagnose', url, '--ca', server.caPath, '--model', modelPath, '--save', '--db', db, '--repeats', '2', '--json', ...FAST]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/autotune: saved as trial 0 \(COMPLETE\) of study "diagnose" in \S+diagnoses\.db$/m);
    const printed = JSON.parse(ok.stdout);
    const bad = await runCli(['diagnose', `${failing.httpsUrl}${basename(clip.path)}`, '--ca', failing.caPath, '--model', modelPath, '--save', '--db', db, ...FAST]);
    // A failed challenge is stored, then exits with its code (3: the server answered 503).
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toMatch(/saved as trial 1 \(FAIL\) of study "diagnose"/);
    await runCli(['diagnose', url, '--ca', server.caPath, '--model', modelPath, '--save', '--db', db, '--study', 'mine', ...FAST]);

    const show = JSON.parse((await runCli(['show', '0', '--db', db, '--study', 'diagnose', '--json'])).stdout);
    expect(show.trial).toMatchObject({ state: 'COMPLETE', params: printed.config });
    expect(show.measurements).toHaveLength(2);
    expect(show.measurements.map((m: { repeat: number }) => m.repeat)).toEqual([1, 2]);
    expect(show.measurements.some((m: { timeline: { total: number } }) => m.timeline.total === printed.timeline.total)).toBe(true);
    const failed = JSON.parse((await runCli(['show', '1', '--db', db, '--study', 'diagnose', '--json'])).stdout);
    expect(failed.trial.state).toBe('FAIL');
    expect(failed.measurements[0].error.reason).toBe('http-status');
    const mine = JSON.parse((await runCli(['trials', '--db', db, '--study', 'mine', '--json'])).stdout);
    expect(mine).toHaveLength(1);
  });

  it.each([
    [['--set', 'FRAME_STRIDE'], /--set FRAME_STRIDE is not KEY=VALUE/],
    [['--set', 'NOT_A_KNOB=1'], /unknown knob NOT_A_KNOB/],
    [['--set', 'IMG_SIZE=500'], /IMG_SIZE=500 is not a multiple of 32/],
    [['--env', '/nonexistent/miner.env'], /cannot read env file \/nonexistent\/miner.env/],
    [['--model', '/nonexistent/model.onnx'], /model \/nonexistent\/model.onnx does not exist \(make the lab model with `autotune model make`/],
    [['--ca', '/nonexistent/ca.pem'], /cannot read --ca \/nonexistent\/ca.pem/],
  ])('rejects %j with one line and a non-zero exit', async (args, pattern) => {
    const model = args.includes('--model') ? [] : ['--model', modelPath];
    const run = await runCli(['diagnose', 'https://127.0.0.1:1/x.mp4', ...model, ...args]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(pattern);
  });
});

describe('medianRun', () => {
  it('picks the median by total time and sorts failed runs last', () => {
    const r = (total: number | null) => ({ timeline: { total } });
    expect(medianRun([r(3), r(1), r(2)]).timeline.total).toBe(2);
    expect(medianRun([r(null), r(1), r(5)]).timeline.total).toBe(5);
    expect(medianRun([r(4), r(2)]).timeline.total).toBe(2);
  });
});
