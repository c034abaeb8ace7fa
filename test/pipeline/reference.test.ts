import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { createPipelineEvaluator } from '../../src/pipeline/evaluator.js';
import { FileReferenceCache, referenceConfig, referenceKey, videoIdentity, type ReferenceAnswer } from '../../src/pipeline/reference/index.js';
import { labClip } from '../helpers/lab-fixtures.js';

let modelPath: string;
let clip: Awaited<ReturnType<typeof labClip>>;
let server: LabServer;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reference-model-'));
  modelPath = join(dir, 'lab-detector.onnx');
  await writeFile(modelPath, buildLabDetector().bytes);
  clip = await labClip({ moovEnd: true });
  server = await startLabServer({ dir: dirname(clip.path), port: 0, httpPort: 0 });
});
afterAll(async () => {
  await server?.close();
});

describe('FileReferenceCache', () => {
  it('round-trips a reference and misses unknown or corrupt keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'refcache-'));
    const cache = new FileReferenceCache(dir);
    const key = 'a'.repeat(32);
    const ref: ReferenceAnswer = {
      key,
      videoId: 'etag:"x";size:1',
      url: 'https://h/x.mp4',
      modelHash: 'm',
      config: referenceConfig(640),
      framesInVideo: 2,
      answer: [{ frameNumber: 0, objects: [{ bbox: [1, 2, 3, 4], classId: 2, score: 0.9 }] }],
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    expect(await cache.get(key)).toBeNull();
    await cache.put(key, ref);
    expect(await cache.get(key)).toEqual(ref);
    await writeFile(join(dir, `${'b'.repeat(32)}.json`), '{not json');
    expect(await cache.get('b'.repeat(32))).toBeNull();
    await expect(cache.get('../escape')).rejects.toThrow(/bad reference key/);
  });
});

describe('referenceKey and videoIdentity', () => {
  it('changes with the video, the model and the config, not with key order', () => {
    const base = referenceKey('v1', 'm1', { A: 1, B: 2 });
    expect(referenceKey('v1', 'm1', { B: 2, A: 1 })).toBe(base);
    expect(referenceKey('v2', 'm1', { A: 1, B: 2 })).not.toBe(base);
    expect(referenceKey('v1', 'm2', { A: 1, B: 2 })).not.toBe(base);
    expect(referenceKey('v1', 'm1', { A: 1, B: 3 })).not.toBe(base);
  });

  it('identifies a lab video by ETag and size, distinct per file', async () => {
    const a = await videoIdentity(`${server.httpsUrl}${basename(clip.path)}`, server.ca);
    expect(a).toMatch(/^etag:.+;size:\d+$/);
    expect(await videoIdentity(`${server.httpsUrl}${basename(clip.path)}`, server.ca)).toBe(a);
    expect(await videoIdentity(`${server.httpsUrl}${basename(clip.moovEndPath!)}`, server.ca)).not.toBe(a);
  });
});

describe('accuracy against the reference', () => {
  const reference = { IMG_SIZE: 224, CONF_THRESHOLD: 0.1, FRAME_STRIDE: 1, TIME_BUDGET_S: 0, USE_NVDEC: 0, PARTIAL_DOWNLOAD: 0 };

  it('scores the reference config at F1 1, a strided one lower, and caches the reference on disk', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'refs-'));
    const lines: string[] = [];
    const options = { modelPath, device: 'cpu' as const, ca: server.ca, referenceConfig: referenceConfig(224), cacheDir, log: (l: string) => lines.push(l) };
    const evaluator = createPipelineEvaluator(options);
    const video = { url: `${server.httpsUrl}${basename(clip.path)}`, truthPath: clip.truthPath };
    try {
      const same = await evaluator.evaluate(reference, video);
      expect(same.error).toBeNull();
      expect(same.accuracy).toBe(1);
      expect(same.coverage).toBe(1);
      expect(same.sn44).toBeGreaterThan(0.5);
      expect(same.truthF1).toBeGreaterThan(0);
      expect(same.truthF1).toBeLessThanOrEqual(1);
      const strided = await evaluator.evaluate({ ...reference, FRAME_STRIDE: 2 }, video);
      expect(strided.coverage).toBe(0.5);
      expect(strided.accuracy).toBeLessThan(1);
      expect(strided.accuracy).toBeGreaterThan(0.3);
      expect(strided.sn44).toBeLessThan(same.sn44!); // keypoint consistency collapses at stride 2
      expect(lines.filter((l) => l.includes('computing'))).toHaveLength(1);
    } finally {
      await evaluator.close();
    }
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    // A new evaluator (a new process, say) finds it on disk.
    const again: string[] = [];
    const second = createPipelineEvaluator({ ...options, log: (l) => again.push(l) });
    try {
      const r = await second.evaluate({ ...reference, FRAME_STRIDE: 5 }, video);
      expect(r.accuracy).not.toBeNull();
      expect(again.filter((l) => l.includes('computing'))).toHaveLength(0);
    } finally {
      await second.close();
    }
  });

  it('gives a failed challenge no SN44 credit', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'refs-'));
    const evaluator = createPipelineEvaluator({ modelPath, device: 'cpu', ca: server.ca, referenceConfig: referenceConfig(224), cacheDir });
    try {
      const r = await evaluator.evaluate(
        { ...reference, PARTIAL_DOWNLOAD: 1, PARTIAL_DOWNLOAD_MB: 0.1 },
        { url: `${server.httpsUrl}${basename(clip.moovEndPath!)}` },
      );
      expect(r.error?.reason).toBe('moov-not-in-prefix');
      expect(r.framesInVideo).toBe(50); // from the reference
      expect(r.coverage).toBe(0);
      expect(r.accuracy).toBe(0);
      expect(r.sn44).toBe(0);
    } finally {
      await evaluator.close();
    }
  });
});
