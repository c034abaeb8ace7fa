// The built-in pipeline as a study's evaluator. Cheap to import: the pipeline itself (onnxruntime,
// ffmpeg) is loaded when the session creates the evaluator.

import { KNOB_NAMES } from './challenge/settings.js';
import type { PipelineEvaluator } from './evaluator.js';
import type { Device } from './infer/index.js';
import type { ReferenceAnswer } from './reference/index.js';
import type { EvaluatorFactory } from './types.js';

export interface PipelineFactoryOptions {
  model: string;
  device: Device;
  /** Model class id -> SN44 class id, for models trained with other class ids. */
  classMap?: Record<number, number> | undefined;
  /** Knob names allowed in configs that this pipeline does not use (kept for the miner). */
  passThrough?: readonly string[];
}

export function pipelineEvaluatorFactory(options: PipelineFactoryOptions): EvaluatorFactory<PipelineEvaluator> {
  const passThrough = options.passThrough ?? [];
  return {
    name: 'the built-in pipeline',
    knobs: [...KNOB_NAMES, ...passThrough],
    settings: { model: options.model, device: options.device, ...(options.classMap ? { classMap: options.classMap } : {}) },
    async create(context) {
      const { createPipelineEvaluator } = await import('./evaluator.js');
      return createPipelineEvaluator({
        modelPath: options.model,
        device: options.device,
        classMap: options.classMap,
        passThrough,
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
  };
}
