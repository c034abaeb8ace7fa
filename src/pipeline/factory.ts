// The built-in pipeline as a study's evaluator. Cheap to import: the pipeline itself (onnxruntime,
// ffmpeg) is loaded when the session creates the evaluator. The decoder is checked first (checkHost),
// the model is read before any video (fitSpace) and checked on the first video before the study is
// created (preflight).

import { KNOB_NAMES } from './challenge/settings.js';
import type { PipelineEvaluator } from './evaluator.js';
import type { Device, LayoutKind } from './infer/index.js';
import { fitSpaceToModel, requireModelCheck } from './model-preflight.js';
import type { ReferenceAnswer } from './reference/index.js';
import type { EvaluatorFactory } from './types.js';

export interface PipelineFactoryOptions {
  model: string;
  device: Device;
  /** Model class id -> SN44 class id, for models trained with other class ids. */
  classMap?: Record<number, number> | undefined;
  /** How to read the model's outputs when their shapes do not tell (--model-layout). */
  layout?: LayoutKind | undefined;
  /** Check the model's answer on the first video before the study (default true; --no-model-check). */
  modelCheck?: boolean;
  /** Knob names allowed in configs that this pipeline does not use (kept for the miner). */
  passThrough?: readonly string[];
  /** Detectors kept open at once (--max-detectors; default DEFAULT_MAX_DETECTORS). */
  maxDetectors?: number | undefined;
}

/** The pipeline decodes on this host: an ffmpeg that cannot run or decode stops a study before anything. */
export async function checkDecoderHere(log: (line: string) => void): Promise<void> {
  const { requireDecoder } = await import('./decode/check.js');
  log(await requireDecoder());
}

/**
 * Detectors the pipeline keeps open at once (one per image size): enough for the sizes of the control,
 * a trial and the reference, or of a small confirmation race, without reopening (--max-detectors).
 */
export const DEFAULT_MAX_DETECTORS = 4;

/** The pipeline factory's name: what a study records as the evaluator that measured it. */
export const PIPELINE_EVALUATOR_NAME = 'the built-in pipeline';

export function pipelineEvaluatorFactory(options: PipelineFactoryOptions): EvaluatorFactory<PipelineEvaluator> {
  const passThrough = options.passThrough ?? [];
  return {
    name: PIPELINE_EVALUATOR_NAME,
    knobs: [...KNOB_NAMES, ...passThrough],
    settings: {
      model: options.model,
      device: options.device,
      ...(options.classMap ? { classMap: options.classMap } : {}),
      ...(options.layout ? { modelLayout: options.layout } : {}),
    },
    probesHost: true,
    samplesOver: 'https',
    checkHost: checkDecoderHere,
    fitSpace: (space, log) => fitSpaceToModel({ path: options.model, layout: options.layout }, space, log),
    async create(context) {
      const { createPipelineEvaluator } = await import('./evaluator.js');
      return createPipelineEvaluator({
        modelPath: options.model,
        device: options.device,
        classMap: options.classMap,
        layout: options.layout,
        passThrough,
        ...(options.maxDetectors !== undefined ? { maxDetectors: options.maxDetectors } : {}),
        ca: context.ca,
        referenceConfig: context.reference,
        tMin: context.tMin,
        referenceCache: {
          get: async (key) => (await context.references.get(key)) as ReferenceAnswer | null,
          put: (key, reference) => context.references.put(key, reference),
        },
        log: context.log,
      });
    },
    ...(options.modelCheck === false
      ? {}
      : { preflight: (evaluator: PipelineEvaluator, video, signal, log) => requireModelCheck((v, s) => evaluator.checkModel(v, s), video, signal, log) }),
  };
}
