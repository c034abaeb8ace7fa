// The built-in Evaluator: runs challenges through this process's own pipeline. It owns what outlives
// one challenge, as a miner would: warm connections (USE_CONNECTION_POOL=1), loaded model sessions
// (one detector per image size, at most a few open), the NVDEC probe, and the reference answers used
// to score accuracy and the SN44 estimate.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutotuneError, isAutotuneError } from '../errors.js';
import { readTruth } from '../lab/clips/index.js';
import { compareAnswers } from '../score/accuracy.js';
import { scoreAgainstReference } from '../score/challenge.js';
import { DEFAULT_T_MIN_S } from '../score/sn44.js';
import { runChallenge, type ChallengeDetail, type ChallengeDetector, type ChallengeProgress } from './challenge/run.js';
import { failedResult } from './result.js';
import { normalizeSettings, type ChallengeSettings } from './challenge/settings.js';
import { probeNvdec } from './decode/index.js';
import { DEFAULT_MAX_DETECTORS } from './factory.js';
import { ConnectionPool } from './fetch/index.js';
import { checkModelAnswer, type AnswerCheck } from './infer/answer-check.js';
import { classMapKey, openDetector, type Device, type LayoutKind } from './infer/index.js';
import { openThreadedDetector } from './challenge/threaded-detector.js';
import {
  FileReferenceCache,
  fileHash,
  referenceConfig,
  referenceKey,
  videoIdentity,
  type ReferenceAnswer,
  type ReferenceCache,
} from './reference/index.js';
import type { Letterbox } from './letterbox.js';
import type { ChallengeError, ChallengeResult, Config, Detection, Evaluator, VideoRef } from './types.js';
import { processRuns } from '../util/process.js';

export interface PipelineEvaluatorOptions {
  modelPath: string;
  device?: Device;
  /** Model class id -> SN44 class id, for models trained with other class ids (see parseClassMap). */
  classMap?: Record<number, number>;
  /** How to read the model's outputs when their shapes do not tell (--model-layout). */
  layout?: LayoutKind;
  /** Extra trusted CA (PEM text), e.g. the lab server's certificate. */
  ca?: string | undefined;
  /**
   * The config of the reference run, whose answers the accuracy and the SN44 estimate are scored
   * against: a study passes its space's `reference:` whole (default referenceConfig(640)).
   */
  referenceConfig?: Config;
  /** t_min of the SN44 speed score, in seconds (default 2.0). */
  tMin?: number;
  /** Knob names allowed in configs that this pipeline does not use. */
  passThrough?: readonly string[];
  /** Folder of the file reference cache (default .cache/references); ignored when `referenceCache` is given. */
  cacheDir?: string;
  referenceCache?: ReferenceCache;
  /**
   * Folder for downloads written to a file (default OS-temp/sn44-autotune). Each evaluator works in
   * its own subfolder, removed on close; subfolders of processes that died are swept on start.
   */
  tmpDir?: string;
  /** Download-then-decode idle limit before 'stall' (default 10 s). */
  idleTimeoutS?: number;
  /** Safety limit of one challenge (default 240 s, the validator's HTTP timeout) and of a reference run (default 1800 s). */
  timeoutS?: number;
  referenceTimeoutS?: number;
  /** USE_NVDEC=1 without NVDEC: decode in software with a note (default) or fail 'nvdec-unavailable'. */
  nvdecFallback?: boolean;
  /**
   * Run the model in a worker thread (default true). onnxruntime-node blocks the thread it runs on;
   * on the main thread that would stall the download, the decoder's pipes and the stall watch.
   */
  inferenceThread?: boolean;
  /**
   * CPU provider only: the most frames the model gets in one call; a larger BATCH_SIZE batch is split
   * (default 1). onnxruntime on CPU keeps every frame's activations live at once, so memory grows with
   * the batch while throughput does not (lab model at 640: 60-100 ms/frame at slices of 1-4, 320 at 8).
   * null passes batches whole.
   */
  cpuModelBatch?: number | null;
  /**
   * Detectors kept open at once (one per image size, every threshold shares it), least recently used
   * closed first, those the study keeps ready (keepReady) last. Each holds its own inference thread and
   * sessions, on a GPU its own device memory: a study of many image sizes would otherwise keep one per
   * size it tried, beside the miner's own. Given, a hard limit; absent, 4 or one more than the sizes
   * kept ready, whichever is more.
   */
  maxDetectors?: number;
  /** Score accuracy against a reference (default true); false skips the reference run. */
  reference?: boolean;
  log?: (line: string) => void;
  /** Progress of the running challenge or reference run, every quarter second. */
  onProgress?: (progress: EvaluationProgress) => void;
}

export interface EvaluationProgress extends ChallengeProgress {
  url: string;
  phase: 'challenge' | 'reference';
}

const NO_REFERENCE_AFTER: ReadonlySet<ChallengeError['reason']> = new Set(['connect', 'http-status', 'reset', 'stall', 'too-slow', 'model']);

export interface PipelineEvaluator extends Evaluator {
  evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeDetail>;
  /** The video's reference answer (computed once, then cached); null when it could not be made. */
  reference(video: VideoRef, signal?: AbortSignal): Promise<ReferenceAnswer | null>;
  /** Whether the model's reference answer on this video looks like a detector's (see checkModelAnswer). */
  checkModel(video: VideoRef, signal?: AbortSignal): Promise<ModelCheckOutcome>;
  /** Loads what a config's challenges need (its detector, the NVDEC probe), as a miner does at start. */
  prepare(config: Config): Promise<void>;
  keepReady(configs: readonly Config[]): Promise<void>;
  /** The image sizes of the detectors open now, least recently used first. */
  openDetectors(): number[];
}

export interface ModelCheckOutcome {
  /** refused: the model cannot answer, or its answer is not a detector's; skipped: no reference could be made for another reason. */
  verdict: 'passed' | 'refused' | 'skipped';
  /** One line for the user. */
  line: string;
  check: AnswerCheck | null;
}

/** Creates the evaluator; `evaluate` throws only for an invalid config (E_INPUT), never for a failed challenge. */
export function createPipelineEvaluator(options: PipelineEvaluatorOptions): PipelineEvaluator {
  return new BuiltInEvaluator(options);
}

class BuiltInEvaluator implements PipelineEvaluator {
  private readonly pool: ConnectionPool;
  /** Open detectors by image size, least recently used first; `users` counts challenges running on one. */
  private readonly detectors = new Map<number, { detector: Promise<ClosableDetector>; users: number }>();
  /** Image sizes of the configs the study keeps ready: closed only after every other idle detector. */
  private keptSizes = new Set<number>();
  private readonly references = new Map<string, Promise<ReferenceAnswer | null>>();
  /** Why the last attempt at a video's reference failed. */
  private readonly referenceFailures = new Map<string, ChallengeError>();
  private readonly cache: ReferenceCache;
  private readonly log: (line: string) => void;
  private tmpReady: Promise<string> | null = null;

  constructor(private readonly options: PipelineEvaluatorOptions) {
    this.pool = new ConnectionPool({ ca: options.ca });
    this.cache = options.referenceCache ?? new FileReferenceCache(options.cacheDir ?? join('.cache', 'references'));
    this.log = options.log ?? (() => {});
  }

  async evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeDetail> {
    const settings = normalizeSettings(config, { passThrough: this.options.passThrough ?? [] });
    const result = await this.challenge(config, settings, video.url, signal, this.options.timeoutS ?? 240, 'challenge');
    if (this.options.reference === false) return result;
    // The server failed whatever the config, nothing arrived, or the model cannot run: a reference run
    // would meet the same wall (and wait for it again).
    if (result.error && (result.bytes === 0 || NO_REFERENCE_AFTER.has(result.error.reason))) return result;
    const reference = await this.reference(video, signal);
    return this.score(result, reference, video);
  }

  async prepare(config: Config): Promise<void> {
    const settings = normalizeSettings(config, { passThrough: this.options.passThrough ?? [] });
    await this.acquireDetector(settings.imgSize).finally(() => this.releaseDetector(settings.imgSize));
    if (settings.useNvdec) await probeNvdec();
  }

  async keepReady(configs: readonly Config[]): Promise<void> {
    const sizes = configs.map((c) => normalizeSettings(c, { passThrough: this.options.passThrough ?? [] }).imgSize);
    this.keptSizes = new Set(sizes);
    // Under a hard limit smaller than the sizes, the last ones opened would close the first again.
    const room = this.detectorLimit();
    for (const config of configs.filter((c, i) => sizes.indexOf(sizes[i]!) === i).slice(0, room)) await this.prepare(config);
  }

  reference(video: VideoRef, signal?: AbortSignal): Promise<ReferenceAnswer | null> {
    let pending = this.references.get(video.url);
    if (!pending) {
      pending = this.makeReference(video, signal);
      this.references.set(video.url, pending);
      // A failure is not remembered: the next challenge tries again (a thrown one reaches the caller).
      const forget = () => this.references.delete(video.url);
      void pending.then((r) => r === null && forget(), forget);
    }
    return pending;
  }

  async checkModel(video: VideoRef, signal?: AbortSignal): Promise<ModelCheckOutcome> {
    const model = this.options.modelPath;
    const reference = await this.reference(video, signal);
    if (!reference) {
      const failure = this.referenceFailures.get(video.url);
      if (failure?.reason === 'model') return { verdict: 'refused', line: `model ${model} cannot answer ${video.url}: ${failure.message}`, check: null };
      return { verdict: 'skipped', line: `model check skipped: no reference answer for ${video.url} (${failure?.message ?? 'unknown reason'})`, check: null };
    }
    const check = checkModelAnswer({
      answer: reference.answer,
      frames: reference.framesInVideo,
      frameSize: reference.frameSize ?? null,
      classMapped: this.options.classMap !== undefined,
    });
    const where = `on ${video.url} (reference answer: ${reference.framesInVideo} frames, IMG_SIZE ${reference.config.IMG_SIZE}, conf ${reference.config.CONF_THRESHOLD})`;
    if (!check.ok) return { verdict: 'refused', line: `model ${model} ${where}: ${check.problem}`, check };
    const unchecked = reference.frameSize ? '' : '; box sizes not checked (a reference cached without the frame size)';
    return { verdict: 'passed', line: `model check: ${check.boxesPerFrame.toFixed(1)} boxes/frame ${where}${unchecked}`, check };
  }

  async close(): Promise<void> {
    const detectors = [...this.detectors.values()];
    this.detectors.clear();
    await Promise.all(detectors.map((d) => closeDetector(d.detector)));
    await this.pool.close();
    const tmp = await this.tmpReady?.catch(() => null);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }

  private async challenge(
    config: Config,
    settings: ChallengeSettings,
    url: string,
    signal: AbortSignal | undefined,
    timeoutS: number,
    phase: EvaluationProgress['phase'],
  ): Promise<ChallengeDetail> {
    let detector: ChallengeDetector;
    try {
      const open = await this.acquireDetector(settings.imgSize);
      // The threshold applies after inference: the size's one detector answers at this challenge's.
      detector = { provider: open.provider, detect: (frames, lb) => open.detect(frames, lb, settings.confThreshold) };
    } catch (err) {
      const hint = err instanceof AutotuneError ? err.hint : undefined;
      return failedBeforeStart(url, config, { reason: 'model', message: (err as Error).message, ...(hint ? { hint } : {}) });
    }
    try {
      // Work a miner does once at start-up happens before t0.
      if (settings.useNvdec) await probeNvdec();
      return await runChallenge({
        url,
        config,
        settings,
        detector,
        pool: this.pool,
        ca: this.options.ca,
        tmpDir: await this.tmpDir(),
        idleTimeoutS: this.options.idleTimeoutS ?? 10,
        timeoutS,
        // A video that cannot be downloaded within a challenge's timeout cannot be a challenge, whatever the run.
        downloadTimeoutS: this.options.timeoutS ?? 240,
        ...(this.options.onProgress ? { onProgress: (p: ChallengeProgress) => this.options.onProgress!({ ...p, url, phase }) } : {}),
        nvdecFallback: this.options.nvdecFallback ?? true,
        signal,
      });
    } finally {
      this.releaseDetector(settings.imgSize);
    }
  }

  openDetectors(): number[] {
    return [...this.detectors.keys()];
  }

  /**
   * The detector of an image size, opened (and warmed up) when it is not open, after closing the
   * least recently used idle ones beyond maxDetectors, so their memory is free first.
   */
  private async acquireDetector(imgSize: number): Promise<ClosableDetector> {
    const key = imgSize;
    let entry = this.detectors.get(key);
    if (entry) {
      this.detectors.delete(key); // most recently used goes last
    } else {
      const max = this.detectorLimit();
      const idle = [...this.detectors].filter(([, e]) => e.users === 0);
      const byCost = [...idle.filter(([k]) => !this.keptSizes.has(k)), ...idle.filter(([k]) => this.keptSizes.has(k))];
      const evicted = byCost.slice(0, Math.max(0, this.detectors.size + 1 - max));
      for (const [k] of evicted) this.detectors.delete(k);
      await Promise.all(evicted.map(([, e]) => closeDetector(e.detector)));
      entry = this.detectors.get(key); // opened by another caller meanwhile
      if (entry) this.detectors.delete(key);
      else entry = { detector: this.startDetector(imgSize), users: 0 };
    }
    entry.users++;
    this.detectors.set(key, entry);
    const opening = entry;
    try {
      return await opening.detector;
    } catch (err) {
      // A detector that could not open is not kept: the next challenge tries again.
      if (this.detectors.get(key) === opening) this.detectors.delete(key);
      throw err;
    }
  }

  /** The most detectors open at once: --max-detectors when given, else room for those kept ready and one more. */
  private detectorLimit(): number {
    if (this.options.maxDetectors !== undefined) return Math.max(1, this.options.maxDetectors);
    return Math.max(DEFAULT_MAX_DETECTORS, this.keptSizes.size + 1);
  }

  private releaseDetector(key: number): void {
    const entry = this.detectors.get(key);
    if (entry) entry.users = Math.max(0, entry.users - 1);
  }

  private startDetector(imgSize: number): Promise<ClosableDetector> {
    const { modelPath, classMap, layout } = this.options;
    const options = { modelPath, device: this.options.device ?? 'auto', imgSize, classMap, layout };
    if (this.options.inferenceThread === false) {
      return openDetector(options).then(async (detector) => {
        await detector.warmUp();
        return detector;
      });
    }
    return openThreadedDetector(options, this.options.cpuModelBatch === undefined ? 1 : this.options.cpuModelBatch);
  }

  private async makeReference(video: VideoRef, signal?: AbortSignal): Promise<ReferenceAnswer | null> {
    const config = this.options.referenceConfig ?? referenceConfig(640);
    try {
      const [videoId, modelHash] = await Promise.all([videoIdentity(video.url, this.options.ca), fileHash(this.options.modelPath)]);
      // The class map and a forced layout change the answers as much as the model file does.
      const { classMap, layout } = this.options;
      const modelKey = [modelHash, ...(classMap ? [classMapKey(classMap)] : []), ...(layout ? [`layout=${layout}`] : [])].join('+');
      const key = referenceKey(videoId, modelKey, config);
      const cached = await this.cache.get(key);
      if (cached) return cached;
      const settings = normalizeSettings(config, { passThrough: this.options.passThrough ?? [] });
      this.log(
        `reference: computing for ${video.url} (IMG_SIZE ${settings.imgSize}, BATCH_SIZE ${settings.batchSize}, ` +
          `FRAME_STRIDE ${settings.frameStride}, conf ${settings.confThreshold})`,
      );
      const run = await this.challenge(config, settings, video.url, signal, this.options.referenceTimeoutS ?? 1800, 'reference');
      if (run.error || run.framesInVideo === null) {
        const failure = run.error ?? { reason: 'internal', message: 'frame count unknown' };
        this.referenceFailures.set(video.url, failure);
        this.log(`reference: failed for ${video.url}: ${failure.message}`);
        return null;
      }
      const reference: ReferenceAnswer = {
        key,
        videoId,
        url: video.url,
        modelHash,
        config,
        framesInVideo: run.framesInVideo,
        ...(run.frameSize ? { frameSize: run.frameSize } : {}),
        answer: run.answer,
        createdAt: new Date().toISOString(),
      };
      await this.cache.put(key, reference);
      return reference;
    } catch (err) {
      // The study's store failing is not the reference's: the study stops and says so.
      if (isAutotuneError(err, 'E_STORE')) throw err;
      this.referenceFailures.set(video.url, { reason: 'internal', message: (err as Error).message });
      this.log(`reference: failed for ${video.url}: ${(err as Error).message}`);
      return null;
    }
  }

  private async score(result: ChallengeDetail, reference: ReferenceAnswer | null, video: VideoRef): Promise<ChallengeDetail> {
    const scores = scoreAgainstReference({ ...result, total: result.timeline.total }, reference, this.options.tMin ?? DEFAULT_T_MIN_S);
    const scored: ChallengeDetail = { ...result, ...scores };
    if (video.truthPath) {
      try {
        const truth = await readTruth(video.truthPath);
        scored.truthF1 = compareAnswers(result.answer, truth.frames, { frameCount: truth.frameCount }).f1;
      } catch (err) {
        this.log(`truth: ${(err as Error).message}`);
      }
    }
    return scored;
  }

  private tmpDir(): Promise<string> {
    this.tmpReady ??= (async () => {
      const base = this.options.tmpDir ?? join(tmpdir(), 'sn44-autotune');
      await mkdir(base, { recursive: true });
      await sweepDeadRuns(base);
      const dir = join(base, `run-${process.pid}-${randomBytes(4).toString('hex')}`);
      await mkdir(dir);
      return dir;
    })();
    return this.tmpReady;
  }
}

type ClosableDetector = ChallengeDetector & {
  detect(frames: Uint8Array[], lb: Letterbox, conf?: number): Promise<Detection[][]>;
  close(): Promise<void>;
};

const closeDetector = (detector: Promise<ClosableDetector>) => detector.then((d) => d.close(), () => {});

function failedBeforeStart(url: string, config: Config, error: ChallengeError): ChallengeDetail {
  return {
    ...failedResult(url, config, error),
    stages: { connect: null, wait: null, download: null, decode: null, infer: null },
    decoderNote: null,
    etag: null,
    fileSize: null,
    finalUrl: null,
    redirects: [],
    frameSize: null,
  };
}

/** Longer than any challenge or reference run: a loose download file this old was left by a crash. */
const STALE_FILE_MS = 60 * 60 * 1000;

/**
 * Removes what killed processes left in the shared temp folder: run folders whose process is gone,
 * and loose challenge files (from versions without run folders) older than any run.
 */
async function sweepDeadRuns(base: string): Promise<void> {
  const entries = await readdir(base).catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (name) => {
      const path = join(base, name);
      const run = /^run-(\d+)-[0-9a-f]+$/.exec(name);
      if (run) {
        if (!processRuns(Number(run[1]))) await rm(path, { recursive: true, force: true }).catch(() => {});
      } else if (/^challenge-[0-9a-f]+\.mp4$/.test(name)) {
        const info = await stat(path).catch(() => null);
        if (info && Date.now() - info.mtimeMs > STALE_FILE_MS) await rm(path, { force: true }).catch(() => {});
      }
    }),
  );
}

