// The detector the pipeline calls: letterboxed rgb24 frames in, detections in original-frame pixels
// out. Sessions are shared (see model-session.ts); a Detector only holds its thresholds and timings.

import * as ort from 'onnxruntime-node';
import { AutotuneError } from '../../errors.js';
import { letterbox, PAD_VALUE, unletterboxBox, type Letterbox } from '../letterbox.js';
import type { Detection } from '../types.js';
import { halfToFloat } from './half.js';
import { modelSession, preprocessSession, type ModelSession, type PreprocessSession } from './model-session.js';
import { nms } from './nms.js';
import { PREPROCESS_INPUT, PREPROCESS_OUTPUT } from './preprocess.js';
import type { Device, Provider } from './providers.js';
import { frameCandidates, scoresAreLogits, type Candidate, type ClassMap } from './candidates.js';
import { needsNms, resolveLayout, type LayoutKind, type ModelLayout, type OutputPlan } from './layout.js';

export interface DetectorOptions {
  modelPath: string;
  device?: Device;
  /** Square model input size S (a multiple of 32). */
  imgSize: number;
  /** Confidence threshold (default 0.25, as Ultralytics). */
  conf?: number;
  /** NMS IoU threshold (default 0.45). */
  iou?: number;
  /** Model class id -> ball 0 / goalkeeper 1 / player 2 / referee 3; unmapped classes are dropped. Default: identity. */
  classMap?: ReadonlyMap<number, number> | Readonly<Record<number, number>>;
  /** Most detections kept per frame (default 300). */
  maxDet?: number;
  /** The output layout, when the shapes alone do not tell (--model-layout); default: recognised. */
  layout?: LayoutKind;
}

export interface InferenceStats {
  frames: number;
  batches: number;
  /** Milliseconds spent building the batch tensor and running the preprocessing graph. */
  preprocessMs: number;
  inferenceMs: number;
  /** Output decoding, NMS and mapping back to original pixels. */
  postprocessMs: number;
}

export interface Detector {
  readonly modelPath: string;
  readonly provider: Provider;
  /** Why the asked-for provider was not used (e.g. CUDA unavailable), or null. */
  readonly providerNote: string | null;
  readonly imgSize: number;
  /** The output layout, known after the first batch. */
  readonly layout: ModelLayout | null;
  /**
   * One detection list per frame; frames are letterboxed S x S rgb24 (HWC, uint8). `conf` overrides
   * the detector's threshold for this call: it applies after inference, so one session serves all.
   */
  detect(frames: readonly Uint8Array[], lb: Letterbox, conf?: number): Promise<Detection[][]>;
  readonly stats: Readonly<InferenceStats>;
  /** Mean preprocessing cost per frame so far (ms), 0 before the first frame. */
  readonly preprocessMsPerFrame: number;
  /**
   * Answers a blank frame a few times and forgets it, as a miner does at start-up: onnxruntime's first
   * runs (memory planning, on CUDA the kernels' set-up) and the first calls of the answer's code in a
   * new thread are slower than the next ones and must not land in a measured challenge. Every
   * candidate is kept (threshold 0), so the code that reads, suppresses and maps boxes runs too. The
   * stats and the output layout are as before; an error is left for the first real batch to raise.
   * Resolves to the boxes the last run answered (0 when the model could not answer).
   */
  warmUp(): Promise<number>;
  /** Ends this detector; the shared sessions stay cached for the next one (see releaseSessions). */
  close(): Promise<void>;
}

export const DEFAULT_CONF = 0.25;
/** Runs of a warm-up: the first few runs of a session (and of the answer's code in a new thread) are the slow ones. */
export const WARM_UP_RUNS = 3;
/** The warm-up's threshold: every candidate of the blank frame goes through the answer's code. */
export const WARM_UP_CONF = 0;
export const DEFAULT_IOU = 0.45;
export const DEFAULT_MAX_DET = 300;

function normalizeClassMap(map: DetectorOptions['classMap']): ClassMap | null {
  if (!map) return null;
  if (map instanceof Map) return map;
  return new Map(Object.entries(map).map(([k, v]) => [Number(k), v]));
}

/** Opens (or reuses) the sessions for a model and returns a detector bound to one input size. */
export async function openDetector(options: DetectorOptions): Promise<Detector> {
  const imgSize = options.imgSize;
  if (!Number.isInteger(imgSize) || imgSize < 32 || imgSize % 32 !== 0) {
    throw new AutotuneError('E_INPUT', `image size ${imgSize} is not a positive multiple of 32`, { hint: 'use e.g. 320, 480, 640, 960' });
  }
  const model = await modelSession(options.modelPath, options.device ?? 'auto', imgSize);
  const pre = await preprocessSession(model.provider, model.precision);
  return new SessionDetector(model, pre, {
    imgSize,
    conf: options.conf ?? DEFAULT_CONF,
    iou: options.iou ?? DEFAULT_IOU,
    maxDet: options.maxDet ?? DEFAULT_MAX_DET,
    classMap: normalizeClassMap(options.classMap),
    forcedLayout: options.layout,
  });
}

interface Settings {
  imgSize: number;
  conf: number;
  iou: number;
  maxDet: number;
  classMap: ClassMap | null;
  forcedLayout: LayoutKind | undefined;
}

/** How this detector reads the model's outputs, fixed by the first batch. */
interface ReadPlan extends OutputPlan {
  /** Per-frame dims of each output read ([a, b] of [N, a, b]), checked on every batch. */
  frameDims: string[];
  logits: boolean;
}

class SessionDetector implements Detector {
  private plan: ReadPlan | null = null;
  readonly stats: InferenceStats = { frames: 0, batches: 0, preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };
  private closed = false;

  constructor(
    private readonly model: ModelSession,
    private readonly pre: PreprocessSession,
    private readonly settings: Settings,
  ) {}

  get modelPath() {
    return this.model.modelPath;
  }
  get provider() {
    return this.model.provider;
  }
  get providerNote() {
    return this.model.providerNote;
  }
  get imgSize() {
    return this.settings.imgSize;
  }
  get layout() {
    return this.plan?.layout ?? null;
  }
  get preprocessMsPerFrame() {
    return this.stats.frames > 0 ? this.stats.preprocessMs / this.stats.frames : 0;
  }

  async warmUp(): Promise<number> {
    const S = this.settings.imgSize;
    // A model exported with a fixed batch takes exactly that many frames.
    const frames = Array.from({ length: this.model.fixedBatch ?? 1 }, () => new Uint8Array(S * S * 3).fill(PAD_VALUE));
    let boxes = 0;
    try {
      // A blank frame passes no real threshold, and a warm-up that finds nothing leaves the code
      // that reads, suppresses and maps boxes cold in a new thread: the first challenge after a new
      // input size was 1.11-1.15x the next ones, 1.08-1.11x with this (npm run bench:switch). The
      // letterbox is a 16:9 video's, so mapping boxes back runs as in a challenge.
      for (let i = 0; i < WARM_UP_RUNS; i++) boxes = (await this.detect(frames, letterbox(16 * S, 9 * S, S), WARM_UP_CONF)).reduce((n, f) => n + f.length, 0);
    } catch {
      // A model that cannot answer says so on the first real batch, with the error it has there.
    } finally {
      // The blank frame's answer says nothing about the model's layout, nor about a challenge's costs.
      this.plan = null;
      Object.assign(this.stats, { frames: 0, batches: 0, preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 });
    }
    return boxes;
  }

  async detect(frames: readonly Uint8Array[], lb: Letterbox, conf = this.settings.conf): Promise<Detection[][]> {
    if (this.closed) throw new AutotuneError('E_INTERNAL', 'detector used after close()');
    const S = this.settings.imgSize;
    if (lb.size !== S) throw new AutotuneError('E_INTERNAL', `letterbox for ${lb.size} given to a ${S} detector`);
    const bytes = S * S * 3;
    frames.forEach((f, i) => {
      if (f.length !== bytes) {
        throw new AutotuneError('E_INPUT', `frame ${i} has ${f.length} bytes; a ${S}x${S} rgb24 frame has ${bytes}`);
      }
    });
    const step = this.model.fixedBatch ?? Math.max(frames.length, 1);
    const results: Detection[][] = [];
    for (let start = 0; start < frames.length; start += step) {
      results.push(...(await this.runBatch(frames.slice(start, start + step), lb, conf)));
    }
    return results;
  }

  private async runBatch(frames: readonly Uint8Array[], lb: Letterbox, conf: number): Promise<Detection[][]> {
    const S = this.settings.imgSize;
    const n = frames.length;
    const t0 = performance.now();
    const data = n === 1 ? frames[0]! : Buffer.concat(frames);
    const raw = new ort.Tensor('uint8', data, [n, S, S, 3]);
    const pre = await this.pre.session.run({ [PREPROCESS_INPUT]: raw });
    const t1 = performance.now();
    const out = await this.model.session.run({ [this.model.inputName]: pre[PREPROCESS_OUTPUT]! });
    const t2 = performance.now();
    const tensors = this.readOutputs(out, n);
    const { iou, maxDet, classMap } = this.settings;
    const { layout, logits } = this.plan!;
    const results: Detection[][] = [];
    for (let i = 0; i < n; i++) {
      const found = frameCandidates({ layout, tensors, index: i, conf, classMap, size: S, logits });
      const kept = needsNms(layout) ? nms(found, iou, maxDet) : best(found, maxDet);
      results.push(kept.map((c) => ({ bbox: unletterboxBox(c.box, lb), classId: c.classId, score: c.score })));
    }
    const t3 = performance.now();
    this.stats.frames += n;
    this.stats.batches += 1;
    this.stats.preprocessMs += t1 - t0;
    this.stats.inferenceMs += t2 - t1;
    this.stats.postprocessMs += t3 - t2;
    return results;
  }

  /** The values of the outputs the layout reads; the layout is recognised on the first batch. */
  private readOutputs(out: ort.InferenceSession.ReturnType, n: number): ArrayLike<number>[] {
    const S = this.settings.imgSize;
    const modelPath = this.model.modelPath;
    const frameDims = (t: ort.Tensor) => t.dims.slice(1).join('x');
    const first = !this.plan;
    if (!this.plan) {
      const shapes = this.model.outputNames.filter((name) => out[name]).map((name) => ({ name, dims: out[name]!.dims }));
      const plan = resolveLayout(modelPath, shapes, S, this.settings.forcedLayout);
      this.plan = { ...plan, frameDims: plan.outputs.map((name) => frameDims(out[name]!)), logits: false };
    }
    const plan = this.plan;
    const values = plan.outputs.map((name, i) => {
      const tensor = out[name]!;
      const shape = `[${tensor.dims.join(', ')}]`;
      const context = { model: modelPath, output: name, outputShape: tensor.dims, inputShape: this.model.inputShape };
      if (tensor.dims[0] !== n) {
        throw new AutotuneError('E_MODEL_LAYOUT', `model ${modelPath}: output ${name} has shape ${shape} for input [${n}, 3, ${S}, ${S}]; its first dimension is not the batch`, {
          hint: 'export the detector with dynamic=True, or with batch=1',
          context,
        });
      }
      if (frameDims(tensor) !== plan.frameDims[i]) {
        throw new AutotuneError('E_MODEL_LAYOUT', `model ${modelPath}: output ${name} changed shape to ${shape} between batches at input ${S}x${S}`, { context });
      }
      return valuesOf(tensor);
    });
    if (first) plan.logits = scoresAreLogits(plan.layout, values);
    return values;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** An output's values as numbers (onnxruntime-node hands float16 outputs over as their raw bits). */
function valuesOf(tensor: ort.Tensor): ArrayLike<number> {
  return tensor.type === 'float16' ? halfToFloat(tensor.data as Uint16Array) : (tensor.data as Float32Array);
}

/** A final (already filtered) answer's boxes, best first, at most maxDet. */
function best(candidates: Candidate[], maxDet: number): Candidate[] {
  return candidates.sort((a, b) => b.score - a.score).slice(0, maxDet);
}
