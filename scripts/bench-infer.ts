// Inference figures on this machine: frames/s of the detector (preprocessing graph + model + output
// decoding and NMS) and preprocessing ms/frame, for input sizes x batch sizes, on letterboxed frames
// decoded from a lab clip.
//
//   npx tsx scripts/bench-infer.ts [--model models/lab-detector.onnx] [--heavy N] [--sizes 320,640]
//                                  [--batches 1,16,64] [--frames 64] [--device auto]
//
// Without --model, the lab detector (with --heavy N) is written to models/lab-detector[-heavyN].onnx.
// Each cell runs one warm-up batch, then at least --frames frames (and at least 2 batches).

import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { makeLabDetector } from '../src/lab/model/index.js';
import { openDetector, releaseSessions, type Device } from '../src/pipeline/infer/index.js';
import { letterbox } from '../src/pipeline/letterbox.js';
import { resolveFfmpeg } from '../src/util/ffmpeg.js';
import { formatTable } from '../src/util/format.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const list = (s: string) => s.split(',').map(Number);
const heavy = Number(flag('heavy', '0'));
const sizes = list(flag('sizes', '320,640'));
const batches = list(flag('batches', '1,16,64'));
const minFrames = Number(flag('frames', '64'));
const device = flag('device', 'auto') as Device;

async function modelPath(): Promise<string> {
  const given = flag('model', '');
  if (given) return given;
  const out = heavy > 0 ? `models/lab-detector-heavy${heavy}.onnx` : 'models/lab-detector.onnx';
  if (!existsSync(out) || heavy > 0) await makeLabDetector({ out, heavy });
  return out;
}

/** Some letterboxed frames of a lab clip (or of testsrc2 when the lab generator is unavailable). */
async function sampleFrames(S: number, count: number): Promise<Buffer[]> {
  let input: string[];
  try {
    const { labClip } = await import('../test/helpers/lab-fixtures.js');
    input = ['-i', (await labClip({ width: 1280, height: 720, frames: 16 })).path];
  } catch {
    input = ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25'];
  }
  const lb = letterbox(1280, 720, S);
  const ffmpeg = await resolveFfmpeg();
  const filter = `scale=${lb.width}:${lb.height}:flags=bilinear,format=rgb24,pad=${S}:${S}:${lb.padX}:${lb.padY}:color=0x727272`;
  const { stdout } = await execa(ffmpeg.path, ['-v', 'error', ...input, '-frames:v', String(count), '-vf', filter, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 30,
  });
  const bytes = S * S * 3;
  return Array.from({ length: stdout.length / bytes }, (_, i) => Buffer.from(stdout.subarray(i * bytes, (i + 1) * bytes)));
}

interface Row {
  size: number;
  batch: number;
  fps: number;
  preMs: number;
  inferMs: number;
  postMs: number;
}

const model = await modelPath();
console.log(`model ${model}, device ${device}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`);
const rows: Row[] = [];
for (const S of sizes) {
  const pool = await sampleFrames(S, 16);
  const lb = letterbox(1280, 720, S);
  for (const batch of batches) {
    const detector = await openDetector({ modelPath: model, device, imgSize: S });
    const frames = Array.from({ length: batch }, (_, i) => pool[i % pool.length]!);
    await detector.detect(frames, lb); // warm-up
    const warm = { ...detector.stats };
    const rounds = Math.max(2, Math.ceil(minFrames / batch));
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await detector.detect(frames, lb);
    const seconds = (performance.now() - t0) / 1000;
    const s = detector.stats;
    const n = s.frames - warm.frames;
    rows.push({
      size: S,
      batch,
      fps: n / seconds,
      preMs: (s.preprocessMs - warm.preprocessMs) / n,
      inferMs: (s.inferenceMs - warm.inferenceMs) / n,
      postMs: (s.postprocessMs - warm.postprocessMs) / n,
    });
    console.log(`S=${S} batch=${batch}: ${(n / seconds).toFixed(1)} frames/s (provider ${detector.provider}${detector.providerNote ? `; ${detector.providerNote}` : ''})`);
    await detector.close();
    await releaseSessions();
  }
}
console.log(
  `\n${formatTable(rows, [
    { header: 'S', value: (r) => String(r.size), align: 'right' },
    { header: 'batch', value: (r) => String(r.batch), align: 'right' },
    { header: 'frames/s', value: (r) => r.fps.toFixed(1), align: 'right' },
    { header: 'preprocess ms/frame', value: (r) => r.preMs.toFixed(2), align: 'right' },
    { header: 'model ms/frame', value: (r) => r.inferMs.toFixed(1), align: 'right' },
    { header: 'decode+NMS ms/frame', value: (r) => r.postMs.toFixed(2), align: 'right' },
  ])}`,
);
