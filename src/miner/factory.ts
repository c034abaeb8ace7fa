// The miner and command evaluators as a study's evaluator factory: `autotune run` (and `diagnose`)
// normalize their options into ExternalOptions and hand the factory to the session, which never
// imports this folder. What the session must know is declared here: the challenges run in another
// program (nothing of this host is probed), --samples are served over plain HTTP, and any knob goes
// (a miner's environment). With `--reference pipeline` the pipeline's model is read and checked
// before the study, as for the pipeline evaluator.

import type { PipelineEvaluator } from '../pipeline/evaluator.js';
import { checkDecoderHere, type PipelineFactoryOptions } from '../pipeline/factory.js';
import { fitSpaceToModel, requireModelCheck } from '../pipeline/model-preflight.js';
import type { Evaluator, EvaluatorContext, EvaluatorFactory, VideoRef } from '../pipeline/types.js';
import { CommandEvaluator } from './command/evaluator.js';
import { openMinerEvaluator } from './evaluator.js';
import type { ExternalEvaluator, MinerReferenceCache, ReferencePlan } from './external.js';
import type { MinerReference } from './judge.js';
import { protocolNamed, type ProtocolName } from './protocol/index.js';
import { CommandRestarter, Pm2Restarter } from './restart/index.js';

export type ExternalTarget =
  | {
      kind: 'miner';
      url: string;
      /** null (diagnose only): measure the miner as it runs, never restart it. */
      minerDir: string | null;
      restart: { kind: 'pm2'; name: string } | { kind: 'command'; argv: string[] } | null;
      readyTimeoutS: number;
    }
  | { kind: 'command'; argv: string[] };

export interface ExternalOptions {
  target: ExternalTarget;
  protocol: ProtocolName;
  /** Challenge timeout in seconds; null = the protocol's (240 s sn44, 30 s turbovision). */
  timeoutS: number | null;
  /** 'own': the miner under the space's reference config; 'pipeline': the project's pipeline and --model. */
  reference: 'own' | 'pipeline' | 'none';
  tMin: number;
  /** The pipeline that makes the references with `reference: 'pipeline'` (its model is read and checked first). */
  pipeline?: PipelineFactoryOptions;
}

/** The factory's names, recorded with a study: a study resumes only with the evaluator that measured it. */
export const EXTERNAL_EVALUATOR_NAMES = { miner: 'a running miner', command: 'a command' } as const;

export function externalEvaluatorFactory(o: ExternalOptions): EvaluatorFactory<ExternalEvaluator> {
  // The pipeline each evaluator's references come from (reference 'pipeline'), for the model check.
  const referencePipelines = new WeakMap<Evaluator, PipelineEvaluator>();
  const pipeline = o.reference === 'pipeline' ? o.pipeline : undefined;
  return {
    name: EXTERNAL_EVALUATOR_NAMES[o.target.kind],
    knobs: 'any',
    settings: recorded(o),
    probesHost: false,
    // A miner in another process does not trust the lab server's certificate.
    samplesOver: 'http',
    // The pipeline's references decode on this host.
    ...(pipeline ? { checkHost: checkDecoderHere, fitSpace: (space, log) => fitSpaceToModel({ path: pipeline.model, layout: pipeline.layout }, space, log) } : {}),
    async create(context) {
      const { evaluator, referencePipeline } = await createExternal(o, context);
      if (referencePipeline) referencePipelines.set(evaluator, referencePipeline);
      return evaluator;
    },
    ...(pipeline && pipeline.modelCheck !== false
      ? {
          preflight: async (evaluator: ExternalEvaluator, video: VideoRef, signal: AbortSignal, log: (line: string) => void) => {
            const reference = referencePipelines.get(evaluator);
            if (reference) await requireModelCheck((v, s) => reference.checkModel(v, s), video, signal, log);
          },
        }
      : {}),
  };
}

/** What the study records about the evaluator: the target and how it is judged, not the model's class map. */
function recorded(o: ExternalOptions): Record<string, unknown> {
  return {
    target: o.target,
    protocol: o.protocol,
    challengeTimeoutS: o.timeoutS,
    reference: o.reference,
    ...(o.reference === 'pipeline' && o.pipeline ? { model: o.pipeline.model, device: o.pipeline.device } : {}),
  };
}

/** The miner or command evaluator for these options; `close` also closes a pipeline used for references. */
async function createExternal(o: ExternalOptions, c: EvaluatorContext): Promise<{ evaluator: ExternalEvaluator; referencePipeline: PipelineEvaluator | null }> {
  const closers: (() => Promise<void>)[] = [];
  const { plan, pipeline } = await referencePlan(o, c, closers);
  const common = { protocol: protocolNamed(o.protocol), reference: plan, videos: c.videos, ca: c.ca, tMin: o.tMin, log: (line: string) => c.log(line) };
  let evaluator: ExternalEvaluator;
  try {
    if (o.target.kind === 'command') {
      evaluator = new CommandEvaluator({ ...common, argv: o.target.argv, ...(o.timeoutS === null ? {} : { timeoutS: o.timeoutS }) });
    } else {
      const t = o.target;
      evaluator = await openMinerEvaluator({
        ...common,
        minerUrl: t.url,
        control:
          t.restart === null || t.minerDir === null
            ? null
            : { minerDir: t.minerDir, restarter: t.restart.kind === 'pm2' ? new Pm2Restarter(t.restart.name) : new CommandRestarter(t.restart.argv) },
        readyTimeoutS: t.readyTimeoutS,
        ...(o.timeoutS === null ? {} : { timeoutS: o.timeoutS }),
      });
    }
  } catch (err) {
    for (const close of closers) await close().catch(() => {});
    throw err;
  }
  const close = evaluator.close.bind(evaluator);
  evaluator.close = async () => {
    try {
      await close();
    } finally {
      for (const c2 of closers) await c2().catch(() => {});
    }
  };
  return { evaluator, referencePipeline: pipeline };
}

async function referencePlan(
  o: ExternalOptions,
  c: EvaluatorContext,
  closers: (() => Promise<void>)[],
): Promise<{ plan: ReferencePlan; pipeline: PipelineEvaluator | null }> {
  if (o.reference === 'none') return { plan: { kind: 'none' }, pipeline: null };
  if (o.reference === 'own') return { plan: { kind: 'own', config: c.reference, cache: storeCache(c) }, pipeline: null };
  const { createPipelineEvaluator } = await import('../pipeline/evaluator.js');
  const p = o.pipeline!;
  const pipeline = createPipelineEvaluator({
    modelPath: p.model,
    device: p.device,
    classMap: p.classMap,
    layout: p.layout,
    ca: c.ca,
    referenceConfig: c.reference,
    tMin: o.tMin,
    referenceCache: {
      get: async (key) => (await c.references.get(key)) as never,
      put: (key, r) => c.references.put(key, r),
    },
    log: (line) => c.log(line),
  });
  closers.push(() => pipeline.close());
  return {
    pipeline,
    plan: {
      kind: 'external',
      async get(video: VideoRef, signal?: AbortSignal): Promise<MinerReference | null> {
        const r = await pipeline.reference(video, signal);
        if (!r) return null;
        return { key: r.key, videoId: r.videoId, url: r.url, source: 'pipeline', config: r.config, framesInVideo: r.framesInVideo, answer: { kind: 'boxes', frames: r.answer }, createdAt: r.createdAt };
      },
    },
  };
}

function storeCache(c: EvaluatorContext): MinerReferenceCache {
  return {
    get: async (key) => ((await c.references.get(key)) as MinerReference | null) ?? null,
    put: (key, reference) => c.references.put(key, reference),
  };
}

/** References kept in memory, for a command that has no study to keep them in (diagnose). */
export function memoryReferences(): EvaluatorContext['references'] {
  const kept = new Map<string, unknown>();
  return {
    get: async (key) => kept.get(key) ?? null,
    put: async (key, value) => void kept.set(key, value),
  };
}
