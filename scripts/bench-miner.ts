// Figures for tuning a running miner, on the lab:
//  1. restart-to-ready per trial: `autotune lab miner` under a real pm2 (its own PM2_HOME), switched
//     by the miner evaluator between the configs of a grid (FRAME_STRIDE {1, 5} x IMG_SIZE {320, 640}),
//     each switch timed from `pm2 restart --update-env` to the miner's first answer;
//  2. the same config's challenge time through the lab miner (the validator's view: POST to the last
//     byte of the reply) against the in-process pipeline (the challenge's own total) on the same clip,
//     interleaved in one run, with bootstrap 95% intervals and the ratio of the medians.
// The lab miner is a stand-in: its figures are a proxy for a real miner's, on this machine.
//
//   npx tsx scripts/bench-miner.ts [--rounds 3] [--repeats 10] [--frames 25] [--size 320x180] [--device cpu]
//
// About three minutes on an idle 2-core CPU with the defaults.

import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLabServer } from '../src/lab/server/index.js';
import { openMinerEvaluator } from '../src/miner/evaluator.js';
import { protocolNamed } from '../src/miner/protocol/index.js';
import { Pm2Restarter } from '../src/miner/restart/index.js';
import { endpointAnswers } from '../src/miner/send.js';
import { createPipelineEvaluator } from '../src/pipeline/evaluator.js';
import type { ChallengeResult, Config } from '../src/pipeline/types.js';
import { bootstrapMedianInterval, median } from '../src/study/stats.js';
import { mulberry32 } from '../src/util/prng.js';
import { ensureClips, ensureModel } from './bench/assets.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('rounds', '3'));
const repeats = Number(arg('repeats', '10'));
const frames = Number(arg('frames', '25'));
const [width, height] = arg('size', '320x180').split('x').map(Number) as [number, number];
const device = arg('device', 'cpu') as 'cpu' | 'auto' | 'cuda';
const model = 'models/lab-detector.onnx';
const root = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => process.stdout.write(`${line}\n`);

const FIXED: Config = { PARTIAL_DOWNLOAD: 0, USE_NVDEC: 0, BATCH_SIZE: 8, CONF_THRESHOLD: 0.25, TIME_BUDGET_S: 120 };
const GRID: Config[] = [1, 5].flatMap((FRAME_STRIDE) => [320, 640].map((IMG_SIZE) => ({ ...FIXED, FRAME_STRIDE, IMG_SIZE })));
const SAME: Config = { ...FIXED, FRAME_STRIDE: 1, IMG_SIZE: 640 };
const describe = (c: Config) => `FRAME_STRIDE=${c.FRAME_STRIDE} IMG_SIZE=${c.IMG_SIZE}`;
const s3 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));

async function main(): Promise<void> {
  await ensureModel(model, say);
  const { dir, clips } = await ensureClips({ frames, clips: 1, width, height, fps: 25 }, say);
  const server = await startLabServer({ dir, port: 0, httpPort: 0, log: () => {} });
  const video = { url: `${server.httpUrl}${clips[0]!.name}` };
  const work = mkdtempSync(join(tmpdir(), 'bench-miner-'));
  process.env.PM2_HOME = join(work, 'pm2');
  const pm2 = join(root, 'node_modules/.bin/pm2');
  const minerDir = join(work, 'miner');
  const port = 17000 + Math.floor(Math.random() * 2000);
  const original: Config = { ...FIXED, FRAME_STRIDE: 2, IMG_SIZE: 640 };
  try {
    mkdirSync(minerDir);
    writeFileSync(join(minerDir, '.env'), Object.entries(original).map(([k, v]) => `${k}=${v}\n`).join(''));
    // The compiled CLI, as a user runs it (npm ci builds it), else the sources through tsx (slower to start).
    const compiled = existsSync(join(root, 'dist/cli/main.js'));
    const cli = compiled ? [join(root, 'bin/autotune.js')] : ['--import', 'tsx', join(root, 'scripts/bench/cli-entry.ts')];
    await execa(pm2, ['start', process.execPath, '--name', 'bench-lab-miner', '--', ...cli, 'lab', 'miner', '--port', String(port), '--device', device, '--model', model], {
      cwd: root,
      env: Object.fromEntries(Object.entries(original).map(([k, v]) => [k, String(v)])),
      stdin: 'ignore',
    });
    // The first start loads onnxruntime and the model before the miner listens.
    for (let i = 0; i < 600 && !(await endpointAnswers(`http://127.0.0.1:${port}`)); i++) await new Promise((r) => setTimeout(r, 100));
    const miner = await openMinerEvaluator({
      protocol: protocolNamed('sn44'),
      reference: { kind: 'none' },
      videos: [video],
      minerUrl: `http://127.0.0.1:${port}`,
      control: { minerDir, restarter: new Pm2Restarter('bench-lab-miner', pm2) },
      readyTimeoutS: 120,
      log: () => {},
    });
    say(
      `clip ${clips[0]!.name} (${width}x${height}, ${frames} frames), lab miner (${compiled ? 'compiled CLI' : 'sources through tsx: run npm run build for the compiled CLI'}) ` +
        `under pm2 on port ${port}, ${device}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    );

    say(`\n1. restart-to-ready per trial (pm2 restart --update-env -> first answer), ${rounds} round(s) over the grid:`);
    const setups = new Map<string, number[]>();
    const totals = new Map<string, number[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const config of GRID) {
        const r = await miner.evaluate(config, video);
        if (r.error) throw new Error(`${describe(config)}: ${r.error.reason}: ${r.error.message}`);
        if (r.setupS != null) setups.set(describe(config), [...(setups.get(describe(config)) ?? []), r.setupS]);
        totals.set(describe(config), [...(totals.get(describe(config)) ?? []), r.timeline.total!]);
      }
    }
    say('  config                      restart-to-ready s (each)            median   challenge median s');
    for (const config of GRID) {
      const key = describe(config);
      const each = setups.get(key) ?? [];
      say(`  ${key.padEnd(27)} ${each.map(s3).join(', ').padEnd(36)} ${s3(median(each)).padStart(6)}   ${s3(median(totals.get(key) ?? []))}`);
    }
    const all = [...setups.values()].flat();
    say(`  all restarts: median ${s3(median(all))} s [95% CI ${interval(all)}], n = ${all.length}`);

    say(`\n2. the same config (${describe(SAME)}) through the lab miner and in-process, ${repeats} rounds interleaved (ABBA):`);
    const pipeline = createPipelineEvaluator({ modelPath: model, device, reference: false });
    await pipeline.prepare(SAME);
    const viaMiner: number[] = [];
    const inProcess: number[] = [];
    const once = async (which: 'miner' | 'pipeline') => {
      const r: ChallengeResult = which === 'miner' ? await miner.evaluate(SAME, video) : await pipeline.evaluate(SAME, video);
      if (r.error) throw new Error(`${which}: ${r.error.reason}: ${r.error.message}`);
      return r.timeline.total!;
    };
    await once('miner'); // switches the miner to SAME (its restart is not measured here) and warms it
    await once('pipeline');
    for (let i = 0; i < repeats; i++) {
      const order: ('miner' | 'pipeline')[] = i % 2 === 0 ? ['miner', 'pipeline'] : ['pipeline', 'miner'];
      for (const which of order) (which === 'miner' ? viaMiner : inProcess).push(await once(which));
    }
    await pipeline.close();
    say(`  through the lab miner (POST to last byte)  median ${s3(median(viaMiner))} s [95% CI ${interval(viaMiner)}]`);
    say(`  in-process pipeline (challenge total)      median ${s3(median(inProcess))} s [95% CI ${interval(inProcess)}]`);
    const ratio = median(viaMiner)! / median(inProcess)!;
    say(`  ratio lab miner / in-process               ${ratio.toFixed(3)} [95% CI ${ratioInterval(viaMiner, inProcess)}]`);
    say(`  (a stand-in's proxy figures: the lab miner runs the same pipeline in another process; the gap is the HTTP round trip, JSON and process scheduling)`);
    await miner.close();
  } finally {
    await execa(pm2, ['kill'], { reject: false, stdin: 'ignore' });
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function interval(values: number[]): string {
  const i = bootstrapMedianInterval(values, { seed: 1 });
  return i ? `${s3(i.low)}-${s3(i.high)}` : '-';
}

/** Percentile bootstrap 95% interval of median(a) / median(b), rounds resampled in pairs. */
function ratioInterval(a: number[], b: number[], resamples = 2000): string {
  const random = mulberry32(7);
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const ia: number[] = [];
    const ib: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = Math.floor(random() * n);
      ia.push(a[k]!);
      ib.push(b[k]!);
    }
    ratios.push(median(ia)! / median(ib)!);
  }
  ratios.sort((x, y) => x - y);
  return `${ratios[Math.floor(0.025 * resamples)]!.toFixed(3)}-${ratios[Math.floor(0.975 * resamples)]!.toFixed(3)}`;
}

await main();
