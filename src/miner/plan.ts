// How `autotune run` (and `diagnose`) get a miner or command evaluator: options normalised by the
// command, references in the study's store, the pipeline's reference when asked for.

import type { Device } from '../pipeline/infer/index.js';
import type { Config, Evaluator, VideoRef } from '../pipeline/types.js';
import type { Storage } from '../store/types.js';
import type { EvaluatorContext, EvaluatorPlan } from '../study/session.js';
import { CommandEvaluator } from './command/evaluator.js';
import type { MinerReference } from './judge.js';
import { openMinerEvaluator } from './evaluator.js';
import type { MinerReferenceCache, ReferencePlan } from './external.js';
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
  pipeline?: { model: string; device: Device; classMap?: Record<number, number> | undefined };
}

export interface ExternalContext {
  /** The space's reference config; null when there is none (diagnose). */
  referenceConfig: Config | null;
  ca: string | undefined;
  /** Where references are kept; null keeps them in memory. */
  storage: Storage | null;
  videos: VideoRef[];
  say: (line: string) => void;
}

export function externalPlan(o: ExternalOptions): EvaluatorPlan {
  return {
    needsModel: o.reference === 'pipeline',
    plainHttpSamples: true,
    probesHost: false,
    create: (c: EvaluatorContext) => createExternal(o, { referenceConfig: c.space.reference, ca: c.ca, storage: c.storage, videos: c.videos, say: c.say }),
  };
}

/** The miner or command evaluator for these options; `close` also closes a pipeline used for references. */
export async function createExternal(o: ExternalOptions, c: ExternalContext): Promise<Evaluator> {
  const closers: (() => Promise<void>)[] = [];
  const reference = await referencePlan(o, c, closers);
  const common = { protocol: protocolNamed(o.protocol), reference, videos: c.videos, ca: c.ca, tMin: o.tMin, log: c.say };
  let evaluator: Evaluator;
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
  return evaluator;
}

async function referencePlan(o: ExternalOptions, c: ExternalContext, closers: (() => Promise<void>)[]): Promise<ReferencePlan> {
  const reference = c.referenceConfig;
  if (o.reference === 'none') return { kind: 'none' };
  const cache = storageCache(c.storage);
  if (o.reference === 'own') return reference ? { kind: 'own', config: reference, cache } : { kind: 'none' };
  const { createPipelineEvaluator } = await import('../pipeline/evaluator.js');
  const numberOr = (v: unknown, fallback: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  const pipeline = createPipelineEvaluator({
    modelPath: o.pipeline!.model,
    device: o.pipeline!.device,
    classMap: o.pipeline!.classMap,
    ca: c.ca,
    referenceImgSize: numberOr(reference?.IMG_SIZE, 640),
    referenceConf: numberOr(reference?.CONF_THRESHOLD, undefined),
    referenceCache: {
      get: async (key) => (c.storage?.getReference(key) ?? null) as never,
      put: async (key, r) => c.storage?.putReference(key, r),
    },
    log: c.say,
  });
  closers.push(() => pipeline.close());
  return {
    kind: 'external',
    async get(video: VideoRef, signal?: AbortSignal): Promise<MinerReference | null> {
      const r = await pipeline.reference(video, signal);
      if (!r) return null;
      return { key: r.key, videoId: r.videoId, url: r.url, source: 'pipeline', config: r.config, framesInVideo: r.framesInVideo, answer: { kind: 'boxes', frames: r.answer }, createdAt: r.createdAt };
    },
  };
}

function storageCache(storage: Storage | null): MinerReferenceCache {
  const memory = new Map<string, MinerReference>();
  return {
    get: async (key) => (storage ? ((storage.getReference(key) as MinerReference | null) ?? null) : (memory.get(key) ?? null)),
    put: async (key, reference) => (storage ? storage.putReference(key, reference) : void memory.set(key, reference)),
  };
}
