// `npm run bench:switch`: what a study's config switch costs the next measured challenge. A miner
// answers a validator with its model long warm; a study switches configs between trials, and a new
// input size opens a new detector (its own thread and session), whose first challenge must not be
// slower than the next ones, or every trial's first figure is a proxy of the wrong thing. For each
// switch: one challenge, then `--after` more of the same config on the same video; the figure is the
// first one's time over the median of the others (1.00: no switch cost), median over switches with a
// bootstrap 95% interval. Two kinds of switch: to a new input size (more sizes than detectors kept
// open, so each is a new detector) and to another batch size and threshold at one input size.
// Saved as results/bench/switch-<timestamp>.{md,json}.
//
//   npm run bench:switch -- [--cycles 3] [--after 3] [--frames 12] [--size 320x180]

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { startLabServer } from '../src/lab/server/index.js';
import { createPipelineEvaluator } from '../src/pipeline/evaluator.js';
import type { Config } from '../src/pipeline/types.js';
import { bootstrapMedianInterval, median } from '../src/study/stats.js';
import { formatTable } from '../src/util/format.js';
import { ensureClips, ensureModel } from './bench/assets.js';

const args = yargs(hideBin(process.argv))
  .usage('npm run bench:switch -- [options]')
  .option('cycles', { type: 'number', default: 3, describe: 'passes over the configs of each kind of switch' })
  .option('after', { type: 'number', default: 3, describe: 'challenges after the first, for its reference median' })
  .option('frames', { type: 'number', default: 12 })
  .option('size', { type: 'string', default: '320x180' })
  .option('model', { type: 'string', default: 'models/lab-detector.onnx' })
  .option('out', { type: 'string', default: 'results/bench' })
  .strict()
  .parseSync();

const started = Date.now();
const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
const say = (line: string) => process.stdout.write(`${line}\n`);

const BASE: Config = { FRAME_STRIDE: 1, BATCH_SIZE: 4, RAMP_UP_FIRST_BATCH: 2, CONF_THRESHOLD: 0.3, CHUNKED_STREAMING: 0, ENABLE_HTTP2: 0, PARTIAL_DOWNLOAD: 0, USE_CONNECTION_POOL: 1, USE_NVDEC: 0, TIME_BUDGET_S: 120 };
// Eight input sizes against the evaluator's four open detectors: every switch opens a new one.
const KINDS: { name: string; configs: Config[] }[] = [
  { name: 'to a new input size (a new detector)', configs: [320, 384, 448, 512, 576, 416, 480, 544].map((s) => ({ ...BASE, IMG_SIZE: s })) },
  {
    name: 'to another batch size and threshold (same detector)',
    configs: [1, 2, 3, 4, 6, 8, 12, 16].map((b, i) => ({ ...BASE, IMG_SIZE: 416, BATCH_SIZE: b, CONF_THRESHOLD: [0.1, 0.2, 0.3, 0.4, 0.5, 0.25, 0.35, 0.45][i]! })),
  },
];

await ensureModel(args.model, say);
const [width, height] = args.size.split('x').map(Number) as [number, number];
const { dir, clips } = await ensureClips({ frames: args.frames, clips: 1, width, height, fps: 25 }, say);
const server = await startLabServer({ dir, profile: 'lan' });
const evaluator = createPipelineEvaluator({ modelPath: args.model, ca: server.ca, device: 'cpu' });
const rows: { kind: string; switches: number; median: number; low: number | null; high: number | null; ratios: number[] }[] = [];
try {
  const url = `${server.httpsUrl}${clips[0]!.name}`;
  for (const kind of KINDS) {
    const ratios: number[] = [];
    for (let cycle = 0; cycle < args.cycles; cycle++) {
      for (const config of kind.configs) {
        const times: number[] = [];
        for (let k = 0; k <= args.after; k++) {
          const r = await evaluator.evaluate(config, { url });
          if (r.error || r.timeline.total === null) throw new Error(`challenge failed: ${r.error?.reason}: ${r.error?.message}`);
          times.push(r.timeline.total);
        }
        ratios.push(times[0]! / median(times.slice(1))!);
      }
      say(`${kind.name}: pass ${cycle + 1}/${args.cycles}`);
    }
    const ci = bootstrapMedianInterval(ratios);
    rows.push({ kind: kind.name, switches: ratios.length, median: median(ratios)!, low: ci?.low ?? null, high: ci?.high ?? null, ratios });
  }
} finally {
  await evaluator.close();
  await server.close();
}
const table = formatTable(rows, [
  { header: 'switch', value: (r) => r.kind },
  { header: 'switches', value: (r) => String(r.switches), align: 'right' },
  { header: 'first challenge / the next ones', value: (r) => `${r.median.toFixed(3)} [${r.low?.toFixed(3) ?? '-'}, ${r.high?.toFixed(3) ?? '-'}]`, align: 'right' },
]);
const text = [
  `Switch cost (lab clip ${args.size}, ${args.frames} frames, CPU; each switch: 1 + ${args.after} challenges of one config on one video; median over switches, 95% bootstrap interval):`,
  '',
  table,
].join('\n');
say('');
say(text);
await mkdir(args.out, { recursive: true });
const base = join(args.out, `switch-${stamp}`);
await writeFile(`${base}.md`, `# Switch benchmark ${stamp}\n\n\`\`\`\n${text}\n\`\`\`\n`);
await writeFile(`${base}.json`, `${JSON.stringify({ args, rows }, null, 2)}\n`);
say(`saved ${base}.md and ${base}.json`);
process.exit(0);
