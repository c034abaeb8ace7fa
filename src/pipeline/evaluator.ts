// The built-in Evaluator: runs challenges through this process's own pipeline. It owns what outlives
// one challenge, as a miner would: warm connections (USE_CONNECTION_POOL=1), loaded model sessions
// (one detector per image size and threshold), the NVDEC probe, and the reference answers used to
// score accuracy and the SN44 estimate.

import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTruth } from '../lab/clips/index.js';
import { compareAnswers } from '../score/accuracy.js';
import { scoreAgainstReference } from '../score/challenge.js';
import { DEFAULT_T_MIN_S } from '../score/sn44.js';
import { runChallenge, type ChallengeDetail, type ChallengeDetector } from './challenge/run.js';
import { failedResult } from './result.js';
import { normaliseSettings, type ChallengeSettings } from './challenge/settings.js';
import { probeNvdec } from './decode/index.js';
import { ConnectionPool } from './fetch/index.js';
import { classMapKey, openDetector, type Device } from './infer/index.js';
import { openThreadedDetector } from './challenge/threaded-detector.js';
import {
  FileReferenceCache,
  fileHash,
  referenceConfig,
  referenceKey,
  videoIdentity,
  REFERENCE_CONF,
  type ReferenceAnswer,
  type ReferenceCache,
} from './reference/index.js';
import type { ChallengeError, ChallengeResult, Config, Evaluator, VideoRef } from './types.js';

export interface PipelineEvaluatorOptions {
  modelPath: string;
  device?: Device;
  /** Model class id -> SN44 class id, for models trained with other class ids (see parseClassMap). */
  classMap?: Record<number, number>;
  /** Extra trusted CA (PEM text), e.g. the lab server's certificate. */
  ca?: string | undefined;
  /** IMG_SIZE of the reference run: the largest of the search space (default 640). */
  referenceImgSize?: number;
  referenceConf?: number;
  /** t_min of the SN44 speed score, in seconds (default 2.0). */
  tMin?: number;
  /** Knob names allowed in configs that this pipeline does not use. */
  passThrough?: readonly string[];
  /** Folder of the file reference cache (default .cache/references); ignored when `referenceCache` is given. */
  cacheDir?: string;
  referenceCache?: ReferenceCache;
  /** Folder for downloads written to a file (default the OS temp folder). */
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
  /** Score accuracy against a reference (default true); false skips the reference run. */
  reference?: boolean;
  log?: (line: string) => void;
}

export interface PipelineEvaluator extends Evaluator {
  evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeDetail>;
  /** The video's reference answer (computed once, then cached); null when it could not be made. */
  reference(video: VideoRef, signal?: AbortSignal): Promise<ReferenceAnswer | null>;
  /** Loads what a config's challenges need (its detector, the NVDEC probe), as a miner does at start. */
  prepare(config: Config): Promise<void>;
}

/** Creates the evaluator; `evaluate` throws only for an invalid config (E_INPUT), never for a failed challenge. */
export function createPipelineEvaluator(options: PipelineEvaluatorOptions): PipelineEvaluator {
  return new BuiltInEvaluator(options);
}

class BuiltInEvaluator implements PipelineEvaluator {
  private readonly pool: ConnectionPool;
  private readonly detectors = new Map<string, Promise<ClosableDetector>>();
  private readonly references = new Map<string, Promise<ReferenceAnswer | null>>();
  private readonly cache: ReferenceCache;
  private readonly log: (line: string) => void;
  private tmpReady: Promise<string> | null = null;

  constructor(private readonly options: PipelineEvaluatorOptions) {
    this.pool = new ConnectionPool({ ca: options.ca });
    this.cache = options.referenceCache ?? new FileReferenceCache(options.cacheDir ?? join('.cache', 'references'));
    this.log = options.log ?? (() => {});
  }

  async evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeDetail> {
    const settings = normaliseSettings(config, { passThrough: this.options.passThrough ?? [] });
    const result = await this.challenge(config, settings, video.url, signal, this.options.timeoutS ?? 240);
    if (this.options.reference === false) return result;
    const reference = await this.reference(video, signal);
    return this.score(result, reference, video);
  }

  async prepare(config: Config): Promise<void> {
    const settings = normaliseSettings(config, { passThrough: this.options.passThrough ?? [] });
    await this.detectorFor(settings.imgSize, settings.confThreshold);
    if (settings.useNvdec) await probeNvdec();
  }

  reference(video: VideoRef, signal?: AbortSignal): Promise<ReferenceAnswer | null> {
    let pending = this.references.get(video.url);
    if (!pending) {
      pending = this.makeReference(video, signal);
      this.references.set(video.url, pending);
      // A failure is not remembered: the next challenge tries again.
      void pending.then((r) => r === null && this.references.delete(video.url));
    }
    return pending;
  }

  async close(): Promise<void> {
    const detectors = [...this.detectors.values()];
    this.detectors.clear();
    await Promise.all(detectors.map((d) => d.then((x) => x.close(), () => {})));
    await this.pool.close();
  }

  private async challenge(
    config: Config,
    settings: ChallengeSettings,
    url: string,
    signal: AbortSignal | undefined,
    timeoutS: number,
  ): Promise<ChallengeDetail> {
    let detector: ChallengeDetector;
    try {
      detector = await this.detectorFor(settings.imgSize, settings.confThreshold);
    } catch (err) {
      return failedBeforeStart(url, config, { reason: 'model', message: (err as Error).message });
    }
    // Work a miner does once at start-up happens before t0.
    if (settings.useNvdec) await probeNvdec();
    return runChallenge({
      url,
      config,
      settings,
      detector,
      pool: this.pool,
      ca: this.options.ca,
      tmpDir: await this.tmpDir(),
      idleTimeoutS: this.options.idleTimeoutS ?? 10,
      timeoutS,
      nvdecFallback: this.options.nvdecFallback ?? true,
      signal,
    });
  }

  private detectorFor(imgSize: number, conf: number): Promise<ClosableDetector> {
    const key = `${imgSize}|${conf}`;
    let detector = this.detectors.get(key);
    if (!detector) {
      const options = { modelPath: this.options.modelPath, device: this.options.device ?? 'auto', imgSize, conf, classMap: this.options.classMap };
      detector = this.options.inferenceThread === false ? openDetector(options) : openThreadedDetector(options, this.options.cpuModelBatch === undefined ? 1 : this.options.cpuModelBatch);
      this.detectors.set(key, detector);
      detector.catch(() => this.detectors.delete(key));
    }
    return detector;
  }

  private async makeReference(video: VideoRef, signal?: AbortSignal): Promise<ReferenceAnswer | null> {
    const config = referenceConfig(this.options.referenceImgSize ?? 640, this.options.referenceConf ?? REFERENCE_CONF);
    try {
      const [videoId, modelHash] = await Promise.all([videoIdentity(video.url, this.options.ca), fileHash(this.options.modelPath)]);
      // The class map changes the answers as much as the model file does.
      const key = referenceKey(videoId, this.options.classMap ? `${modelHash}+${classMapKey(this.options.classMap)}` : modelHash, config);
      const cached = await this.cache.get(key);
      if (cached) return cached;
      this.log(`reference: computing for ${video.url} (IMG_SIZE ${config.IMG_SIZE}, conf ${config.CONF_THRESHOLD})`);
      const settings = normaliseSettings(config);
      const run = await this.challenge(config, settings, video.url, signal, this.options.referenceTimeoutS ?? 1800);
      if (run.error || run.framesInVideo === null) {
        this.log(`reference: failed for ${video.url}: ${run.error?.message ?? 'frame count unknown'}`);
        return null;
      }
      const reference: ReferenceAnswer = {
        key,
        videoId,
        url: video.url,
        modelHash,
        config,
        framesInVideo: run.framesInVideo,
        answer: run.answer,
        createdAt: new Date().toISOString(),
      };
      await this.cache.put(key, reference);
      return reference;
    } catch (err) {
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
      const dir = this.options.tmpDir ?? join(tmpdir(), 'sn44-autotune');
      await mkdir(dir, { recursive: true });
      return dir;
    })();
    return this.tmpReady;
  }
}

type ClosableDetector = ChallengeDetector & { close(): Promise<void> };

function failedBeforeStart(url: string, config: Config, error: ChallengeError): ChallengeDetail {
  return {
    ...failedResult(url, config, error),
    stages: { connect: null, wait: null, download: null, decode: null, infer: null },
    decoderNote: null,
    etag: null,
    fileSize: null,
  };
}
