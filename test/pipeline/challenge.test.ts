// The pipeline against the real lab server: each knob's observable effect and each failure reason.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { runChallenge, type ChallengeDetail, type ChallengeDetector } from '../../src/pipeline/challenge/run.js';
import { normalizeSettings } from '../../src/pipeline/challenge/settings.js';
import { probeNvdec } from '../../src/pipeline/decode/index.js';
import { createPipelineEvaluator, type PipelineEvaluator, type PipelineEvaluatorOptions } from '../../src/pipeline/evaluator.js';
import { pipelineEvaluatorFactory } from '../../src/pipeline/factory.js';
import { stopsStudy } from '../../src/pipeline/failure.js';
import { AutotuneError } from '../../src/errors.js';
import { ConnectionPool } from '../../src/pipeline/fetch/index.js';
import { openDetector } from '../../src/pipeline/infer/index.js';
import type { Config } from '../../src/pipeline/types.js';
import { labClip } from '../helpers/lab-fixtures.js';

// Small and fast: IMG_SIZE 224 (the smallest at which the lab detector still sees the players) on a 640x360 clip, software decode, no budget unless a test sets one.
const BASE: Config = { IMG_SIZE: 224, USE_NVDEC: 0, TIME_BUDGET_S: 0, FRAME_STRIDE: 1, BATCH_SIZE: 8 };

let modelPath: string;
let clip: Awaited<ReturnType<typeof labClip>>;
let bigClip: Awaited<ReturnType<typeof labClip>>;
const servers: LabServer[] = [];

async function server(options: { profile?: string; fault?: string; rttMs?: number; dir?: string } = {}): Promise<LabServer> {
  const s = await startLabServer({ dir: options.dir ?? dirname(clip.path), port: 0, httpPort: 0, ...options });
  servers.push(s);
  return s;
}

async function evaluate(
  s: LabServer,
  config: Config,
  options: Partial<PipelineEvaluatorOptions> & { file?: string; plain?: boolean; truthPath?: string } = {},
): Promise<ChallengeDetail> {
  const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, reference: false, ...options });
  try {
    const url = `${options.plain ? s.httpUrl : s.httpsUrl}${options.file ?? basename(clip.path)}`;
    return await evaluator.evaluate({ ...BASE, ...config }, { url, ...(options.truthPath ? { truthPath: options.truthPath } : {}) });
  } finally {
    await evaluator.close();
  }
}

/** Real milliseconds each batch of a paced detector takes at least. */
const PACE_MS = 100;

/**
 * A challenge whose detector is the lab model held to at least PACE_MS per batch: with batches run one
 * at a time, a time budget of B seconds lets at most B / PACE_MS + 1 batches through on any machine,
 * however fast, so whether the budget bites does not depend on the machine's speed.
 */
async function evaluatePaced(s: LabServer, config: Config): Promise<ChallengeDetail> {
  const full = { ...BASE, ...config };
  const settings = normalizeSettings(full);
  const model = await openDetector({ modelPath, device: 'cpu', imgSize: settings.imgSize, conf: settings.confThreshold });
  const detector: ChallengeDetector = {
    provider: model.provider,
    detect: async (frames, lb) => (await Promise.all([model.detect(frames, lb), sleep(PACE_MS)]))[0],
  };
  const pool = new ConnectionPool({ ca: s.ca });
  try {
    const tmpDir = await mkdtemp(join(tmpdir(), 'challenge-paced-'));
    return await runChallenge({ url: `${s.httpsUrl}${basename(clip.path)}`, config: full, settings, detector, pool, ca: s.ca, tmpDir });
  } finally {
    await pool.close();
    await model.close();
  }
}

const indices = (r: ChallengeDetail) => r.answer.map((f) => f.frameNumber);
const range = (n: number, step = 1) => Array.from({ length: Math.ceil(n / step) }, (_, i) => i * step);

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'challenge-model-'));
  modelPath = join(dir, 'lab-detector.onnx');
  await writeFile(modelPath, buildLabDetector().bytes);
  clip = await labClip({ moovEnd: true });
  bigClip = await labClip({ frames: 75, seed: 2 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('a challenge on the lab server', () => {
  it('answers every frame of a full download with real indices and ordered stage marks', async () => {
    const s = await server();
    const r = await evaluate(s, { PARTIAL_DOWNLOAD: 0 });
    expect(r.error).toBeNull();
    expect(indices(r)).toEqual(range(50));
    expect(r).toMatchObject({ framesDecoded: 50, framesAnswered: 50, framesInVideo: 50, bytes: clip.bytes, provider: 'cpu', coverage: 1 });
    expect(r.decoder).toMatch(/software/);
    expect(r.answer.some((f) => f.objects.length > 0)).toBe(true);
    const t = r.timeline;
    const marks = [t.connected, t.firstByte, t.downloadEnd, t.decoderStart, t.firstFrame, t.firstBatch, t.lastFrame, t.total];
    expect(marks.every((m) => m !== null)).toBe(true);
    expect([...(marks as number[])].sort((a, b) => a - b)).toEqual(marks);
  });

  it('answers fewer frames from a prefix much smaller than the clip', async () => {
    const s = await server();
    const r = await evaluate(s, { PARTIAL_DOWNLOAD: 1, PARTIAL_DOWNLOAD_MB: 0.05 });
    expect(r.error).toBeNull();
    expect(r.bytes).toBe(Math.round(0.05 * 1024 * 1024));
    expect(r.framesAnswered).toBeGreaterThan(0);
    expect(r.framesAnswered).toBeLessThan(50);
    expect(indices(r)).toEqual(range(r.framesAnswered));
    expect(r.framesInVideo).toBe(50); // the moov at the front of the prefix still says how long the video is
  });

  it('answers every third frame with the video\'s indices at FRAME_STRIDE=3', async () => {
    const s = await server();
    const r = await evaluate(s, { FRAME_STRIDE: 3 });
    expect(indices(r)).toEqual(range(50, 3));
    expect(r.coverage).toBeCloseTo(17 / 50, 10);
  });

  it('ends early when the time budget is spent', async () => {
    const s = await server();
    // 0.3 s from the first frame at >= 0.1 s a batch: the first batch (1 frame) and at most 4 more of
    // 4 frames are inferred, 17 of the 50 frames, however fast the machine is.
    const r = await evaluatePaced(s, { TIME_BUDGET_S: 0.3, BATCH_SIZE: 4, RAMP_UP_FIRST_BATCH: 1 });
    expect(r.error).toBeNull();
    expect(r.framesAnswered).toBeGreaterThan(0);
    expect(r.framesAnswered).toBeLessThanOrEqual(1 + 4 * 4);
    expect(indices(r)).toEqual(range(r.framesAnswered));
  });

  it('counts the budget from t0 or from the first decoded frame as START_BUDGET_AFTER_FIRST_FRAME says', async () => {
    const s = await server({ rttMs: 80 }); // the first frame cannot come before 80 ms
    const fromT0 = await evaluate(s, { TIME_BUDGET_S: 0.05, START_BUDGET_AFTER_FIRST_FRAME: 0, USE_CONNECTION_POOL: 0 });
    expect(fromT0.framesAnswered).toBe(0);
    expect(fromT0.error).toBeNull();
    // Paced (>= 0.1 s a batch) so that the 0.05 s budget ends the challenge on any machine.
    const fromFirstFrame = await evaluatePaced(s, { TIME_BUDGET_S: 0.05, START_BUDGET_AFTER_FIRST_FRAME: 1, RAMP_UP_FIRST_BATCH: 1, USE_CONNECTION_POOL: 0 });
    expect(fromFirstFrame.error).toBeNull();
    expect(fromFirstFrame.framesAnswered).toBeGreaterThanOrEqual(1); // the first batch (one frame) was in flight
    expect(fromFirstFrame.framesAnswered).toBeLessThanOrEqual(1 + 8); // and at most the one after it
  });

  it('negotiates HTTP/2 only when ENABLE_HTTP2=1, and HTTP/1.1 on plain http', async () => {
    const s = await server();
    expect((await evaluate(s, { ENABLE_HTTP2: 1, FRAME_STRIDE: 10 })).protocol).toBe('h2');
    expect((await evaluate(s, { ENABLE_HTTP2: 0, FRAME_STRIDE: 10 })).protocol).toBe('http/1.1');
    expect((await evaluate(s, { ENABLE_HTTP2: 1, FRAME_STRIDE: 10 }, { plain: true })).protocol).toBe('http/1.1');
  });

  it('connects before t0 with the pool and inside the challenge without it', async () => {
    const s = await server({ rttMs: 60 });
    for (const h2 of [0, 1]) {
      const pooled = await evaluate(s, { USE_CONNECTION_POOL: 1, ENABLE_HTTP2: h2, FRAME_STRIDE: 10 });
      expect(pooled.timeline.connected).toBe(0);
      const fresh = await evaluate(s, { USE_CONNECTION_POOL: 0, ENABLE_HTTP2: h2, FRAME_STRIDE: 10 });
      expect(fresh.timeline.connected).toBeGreaterThanOrEqual(0.06); // TCP + TLS take at least one RTT
      expect(fresh.error).toBeNull();
    }
  });

  it('keeps the pooled connection across challenges of one evaluator', async () => {
    const s = await server({ rttMs: 30 });
    const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, reference: false });
    try {
      const url = `${s.httpsUrl}${basename(clip.path)}`;
      const config = { ...BASE, FRAME_STRIDE: 10, USE_CONNECTION_POOL: 1, ENABLE_HTTP2: 1 };
      const results = [await evaluator.evaluate(config, { url }), await evaluator.evaluate(config, { url })];
      expect(results.map((r) => r.timeline.connected)).toEqual([0, 0]);
    } finally {
      await evaluator.close();
    }
  });

  it('keeps at most maxDetectors detectors open, one per image size, closing the least recently used first', async () => {
    const s = await server();
    const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, reference: false, maxDetectors: 2 });
    try {
      const url = `${s.httpsUrl}${basename(clip.path)}`;
      const run = (IMG_SIZE: number, CONF_THRESHOLD = 0.25) => evaluator.evaluate({ ...BASE, IMG_SIZE, CONF_THRESHOLD, FRAME_STRIDE: 10 }, { url });
      await run(224);
      await run(256);
      expect(evaluator.openDetectors()).toEqual([224, 256]);
      await run(224); // used again: now the most recent
      const third = await run(288);
      expect(evaluator.openDetectors()).toEqual([224, 288]);
      // A challenge on a detector opened after closing another answers as before.
      expect(third.error).toBeNull();
      expect(third.answer.length).toBe(Math.ceil(clip.frames / 10));
      await evaluator.prepare({ ...BASE, IMG_SIZE: 320 });
      expect(evaluator.openDetectors()).toEqual([288, 320]);
    } finally {
      await evaluator.close();
    }
    expect(evaluator.openDetectors()).toEqual([]);
  });

  it("opens the detectors of the configs a study keeps ready, keeps every one of them open and closes the others first", async () => {
    const s = await server();
    const url = `${s.httpsUrl}${basename(clip.path)}`;
    const run = (e: PipelineEvaluator, IMG_SIZE: number) => e.evaluate({ ...BASE, IMG_SIZE, FRAME_STRIDE: 25 }, { url });
    const kept = [224, 256, 288, 320, 352].map((IMG_SIZE) => ({ ...BASE, IMG_SIZE, CONF_THRESHOLD: 0.3 }));
    const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, reference: false });
    try {
      await evaluator.keepReady(kept.slice(0, 1));
      expect(evaluator.openDetectors()).toEqual([224]);
      for (const size of [256, 288, 320, 352]) await run(evaluator, size);
      // The default limit of 4: the kept size outlives the least recently used others.
      expect(evaluator.openDetectors()).toEqual([224, 288, 320, 352]);
      // Five kept sizes: all open before any challenge, and a sixth size closes none of them.
      await evaluator.keepReady(kept);
      expect([...evaluator.openDetectors()].sort((a, b) => a - b)).toEqual([224, 256, 288, 320, 352]);
      await run(evaluator, 384);
      await run(evaluator, 416);
      expect([...evaluator.openDetectors()].sort((a, b) => a - b)).toEqual([224, 256, 288, 320, 352, 416]);
    } finally {
      await evaluator.close();
    }
    // --max-detectors is a hard limit, the kept sizes still the last closed.
    const bounded = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, reference: false, maxDetectors: 2 });
    try {
      await bounded.keepReady(kept.slice(0, 3));
      expect(bounded.openDetectors()).toHaveLength(2);
      await run(bounded, 224);
      await run(bounded, 384);
      expect(bounded.openDetectors()).toEqual([224, 384]);
    } finally {
      await bounded.close();
    }
  });

  it('takes the limit from the study (--max-detectors), the reference run included', async () => {
    const s = await server();
    const url = `${s.httpsUrl}${basename(clip.path)}`;
    const evaluator = await pipelineEvaluatorFactory({ model: modelPath, device: 'cpu', maxDetectors: 1 }).create({
      reference: { ...BASE, IMG_SIZE: 224, FRAME_STRIDE: 1 },
      ca: s.ca,
      tMin: 2,
      references: { get: async () => null, put: async () => {} },
      videos: [{ url }],
      log: () => {},
    });
    try {
      for (const IMG_SIZE of [256, 288]) {
        const r = await evaluator.evaluate({ ...BASE, IMG_SIZE, FRAME_STRIDE: 10 }, { url });
        expect(r.error).toBeNull();
        expect(r.accuracy).not.toBeNull();
      }
      expect(evaluator.openDetectors()).toEqual([288]);
    } finally {
      await evaluator.close();
    }
  });

  it("shares one detector between thresholds, each challenge answering at its own", async () => {
    const s = await server();
    const url = `${s.httpsUrl}${basename(clip.path)}`;
    const boxes = (r: ChallengeDetail) => r.answer.reduce((n, f) => n + f.objects.length, 0);
    const config = (CONF_THRESHOLD: number) => ({ ...BASE, CONF_THRESHOLD, FRAME_STRIDE: 5 });
    const shared = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, reference: false });
    try {
      const low = await shared.evaluate(config(0.25), { url });
      const high = await shared.evaluate(config(0.9), { url });
      const lowAgain = await shared.evaluate(config(0.25), { url });
      expect(shared.openDetectors()).toEqual([224]);
      expect(boxes(high)).toBeLessThan(boxes(low));
      expect(lowAgain.answer).toEqual(low.answer);
      // The same answer as a detector of its own at that threshold.
      const own = await evaluate(s, config(0.9));
      expect(high.answer).toEqual(own.answer);
    } finally {
      await shared.close();
    }
  });

  it('overlaps decoding with the download when streaming', async () => {
    const s = await server({ profile: 'seed-slow', dir: dirname(bigClip.path) });
    const r = await evaluate(s, { CHUNKED_STREAMING: 1, PARTIAL_DOWNLOAD: 0, STREAM_MIN_START_BYTES: '256KB', FRAME_STRIDE: 5 }, { file: basename(bigClip.path) });
    expect(r.error).toBeNull();
    expect(bigClip.bytes).toBeGreaterThan(256 * 1024);
    expect(r.timeline.decoderStart!).toBeLessThan(r.timeline.downloadEnd!);
    expect(indices(r)).toEqual(range(75, 5));
  });

  it('decodes in software with a note when USE_NVDEC=1 has no NVDEC, or fails when fallback is off', async () => {
    const probe = await probeNvdec();
    if (probe.usable) return; // a GPU host: the fallback path is not reachable here
    const s = await server();
    const r = await evaluate(s, { USE_NVDEC: 1, FRAME_STRIDE: 10 });
    expect(r.error).toBeNull();
    expect(r.decoder).toMatch(/software/);
    expect(r.decoderNote).toMatch(/NVDEC/);
    const strict = await evaluate(s, { USE_NVDEC: 1, FRAME_STRIDE: 10 }, { nvdecFallback: false });
    expect(strict.error?.reason).toBe('nvdec-unavailable');
    expect(strict.framesAnswered).toBe(0);
  });
});

describe('moov at the end of the file', () => {
  it('decodes from a full download to a file', async () => {
    const s = await server();
    const r = await evaluate(s, { PARTIAL_DOWNLOAD: 0, CHUNKED_STREAMING: 0, FRAME_STRIDE: 5 }, { file: basename(clip.moovEndPath!) });
    expect(r.error).toBeNull();
    expect(indices(r)).toEqual(range(50, 5));
    expect(r.framesInVideo).toBe(50);
  });

  it.each([
    ['a prefix', { PARTIAL_DOWNLOAD: 1, PARTIAL_DOWNLOAD_MB: 0.1 }],
    ['a stream', { PARTIAL_DOWNLOAD: 0, CHUNKED_STREAMING: 1 }],
  ])('fails with moov-not-in-prefix from %s', async (_what, config) => {
    const s = await server();
    const r = await evaluate(s, config, { file: basename(clip.moovEndPath!) });
    expect(r.error?.reason).toBe('moov-not-in-prefix');
    expect(r.framesAnswered).toBe(0);
    expect(r.bytes).toBeLessThan(clip.bytes);
  });
});

describe('failure reasons', () => {
  it('no-range: a Range request answered with 200', async () => {
    const s = await server({ fault: 'no-range' });
    const r = await evaluate(s, { PARTIAL_DOWNLOAD: 1, PARTIAL_DOWNLOAD_MB: 0.1 });
    expect(r.error?.reason).toBe('no-range');
    expect(r.framesAnswered).toBe(0);
    // Without a Range request the same server is fine.
    expect((await evaluate(s, { PARTIAL_DOWNLOAD: 0, FRAME_STRIDE: 10 })).error).toBeNull();
  });

  it('http-status: a 503', async () => {
    const s = await server({ fault: 'status=503' });
    const r = await evaluate(s, {});
    expect(r.error).toEqual({ reason: 'http-status', message: expect.stringContaining('HTTP 503') });
    expect(r.timeline.firstByte).toBeNull();
  });

  it.each([0, 1])('reset: the connection breaks mid-body (CHUNKED_STREAMING=%i)', async (streaming) => {
    const s = await server({ fault: 'reset-after=100000' });
    const r = await evaluate(s, { PARTIAL_DOWNLOAD: 0, CHUNKED_STREAMING: streaming });
    expect(r.error?.reason).toBe('reset');
    expect(r.bytes).toBeLessThanOrEqual(100000);
  });

  it('stall while streaming: answers what it decoded once the buffer timeout passes', async () => {
    const s = await server({ fault: 'stall-after=100000' });
    const r = await evaluate(s, { PARTIAL_DOWNLOAD: 0, CHUNKED_STREAMING: 1, STREAM_BUFFER_TIMEOUT_S: 0.2 });
    expect(r.error?.reason).toBe('stall');
    expect(r.bytes).toBe(100000);
    expect(r.framesAnswered).toBeGreaterThan(0);
    expect(r.framesAnswered).toBeLessThan(50);
    expect(indices(r)).toEqual(range(r.framesAnswered));
  });

  it('stall while downloading to a file: the idle timeout ends it, the prefix is decoded', async () => {
    const s = await server({ fault: 'stall-after=100000' });
    const r = await evaluate(s, { PARTIAL_DOWNLOAD: 0, CHUNKED_STREAMING: 0 }, { idleTimeoutS: 0.5 });
    expect(r.error?.reason).toBe('stall');
    expect(r.framesAnswered).toBeGreaterThan(0);
  });

  it('connect: nothing listens on the port', async () => {
    const s = await server();
    const port = new URL(s.httpUrl).port;
    await s.close();
    const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', reference: false });
    try {
      const r = await evaluator.evaluate({ ...BASE, USE_CONNECTION_POOL: 0 }, { url: `http://127.0.0.1:${port}/clip.mp4` });
      expect(r.error?.reason).toBe('connect');
      expect(r.timeline.connected).toBeNull();
    } finally {
      await evaluator.close();
    }
  });

  it('model: the model file cannot be loaded', async () => {
    const s = await server();
    const r = await evaluate(s, {}, { modelPath: join(tmpdir(), 'no-such-model.onnx') });
    expect(r.error?.reason).toBe('model');
  });

  it('internal: aborted from outside mid-challenge, returned as a result', async () => {
    // The server goes silent after 100000 bytes and the idle limit is far away: without the abort the
    // challenge could not end for 60 s, so the abort lands mid-challenge on any machine.
    const s = await server({ fault: 'stall-after=100000' });
    const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, reference: false, idleTimeoutS: 60 });
    try {
      const controller = new AbortController();
      const pending = evaluator.evaluate({ ...BASE, PARTIAL_DOWNLOAD: 0 }, { url: `${s.httpsUrl}${basename(clip.path)}` }, controller.signal);
      setTimeout(() => controller.abort(), 300);
      const r = await pending;
      expect(r.error).toEqual({ reason: 'internal', message: 'the challenge was aborted' });
      expect(r.framesAnswered).toBeLessThan(50);
    } finally {
      await evaluator.close();
    }
  });

  it('a failing results store stops the study (the error is thrown), not read as a failed reference', async () => {
    const s = await server();
    const down = () => Promise.reject(new AutotuneError('E_STORE', 'lost the connection to postgres://db/x and could not get it back within 60 s (ECONNREFUSED)'));
    const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', ca: s.ca, referenceCache: { get: down, put: down } });
    try {
      const failed = evaluator.evaluate({ ...BASE }, { url: `${s.httpsUrl}${basename(clip.path)}` });
      await expect(failed).rejects.toMatchObject({ code: 'E_STORE', exitCode: 9 });
      expect(stopsStudy(await failed.catch((e: unknown) => e))).toBe(true);
    } finally {
      await evaluator.close();
    }
  });

  it('rejects an unknown knob before running anything', async () => {
    const s = await server();
    await expect(evaluate(s, { NOT_A_KNOB: 1 })).rejects.toThrow(/unknown knob NOT_A_KNOB/);
  });
});
