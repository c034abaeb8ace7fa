// onnxruntime execution providers: which ones actually create a session here, and session creation
// with an honest fallback. onnxruntime-node throws when a listed provider's libraries are missing,
// even with 'cpu' listed after it (['cuda', 'cpu'] does not fall back), so each provider is tried
// alone and a failure is turned into one line that says why CPU is used instead.

import * as ort from 'onnxruntime-node';
import { AutotuneError, messageOf } from '../../errors.js';
import { preprocessModel } from './preprocess.js';

export type Device = 'auto' | 'cuda' | 'tensorrt' | 'cpu';
export type Provider = 'cuda' | 'tensorrt' | 'cpu';
export const DEVICES: readonly Device[] = ['auto', 'cuda', 'tensorrt', 'cpu'];

const LABEL: Record<Provider, string> = { cuda: 'CUDA', tensorrt: 'TensorRT', cpu: 'CPU' };

// onnxruntime's own logger prints provider-library failures in red on stderr; the fallback line says it.
ort.env.logLevel = 'fatal';

/**
 * Providers to try, in order. 'auto' and 'cuda' try CUDA then fall back to CPU (an explicit 'cuda'
 * falls back too, so a study keeps running; the fallback is recorded with every measurement).
 * TensorRT only when asked for: it builds an engine per input shape, which takes minutes for a real model.
 */
export function providerAttempts(device: Device): Provider[] {
  switch (device) {
    case 'cpu':
      return ['cpu'];
    case 'tensorrt':
      return ['tensorrt', 'cuda', 'cpu'];
    default:
      return ['cuda', 'cpu'];
  }
}

export interface ProviderSession {
  session: ort.InferenceSession;
  provider: Provider;
  /** Why a provider earlier in the list was not used; null when the first one worked. */
  note: string | null;
}

/** The first line of an onnxruntime error, without its source location noise. */
function shortReason(err: unknown): string {
  return messageOf(err)
    .split('\n')[0]!
    .replace(/^.*?(Failed to load shared library)/, '$1')
    // onnxruntime prefixes its reason with a source location and a C++ signature: users need the reason.
    .replace(/\/onnxruntime_src\/\S+ [\w:~]+\((?:[^()]|\([^()]*\))*\) /, ' ')
    .trim();
}

/** How every detector session is made (the provider aside). */
export function sessionOptions(provider: Provider): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // Memory patterns pre-plan one block per input shape; with dynamic batch and size that costs
    // both time and peak memory here (640, batch 16: 53 vs 139 ms/frame; pipeline peak RSS 565 vs 638 MB).
    enableMemPattern: false,
    // onnxruntime's idle threads spin by default, taking the cores from ffmpeg, which decodes the next
    // frames meanwhile: a whole challenge on 2 cores (50 frames, IMG_SIZE 512) took 1.34-1.46 s without
    // spinning against 1.86-2.20 s with it, in one run side by side.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/** Creates a session with the first provider that works; throws E_MODEL_LOAD when none does. */
export async function createSessionWithFallback(
  model: string | Uint8Array,
  device: Device,
  describe: string,
): Promise<ProviderSession> {
  const failures: string[] = [];
  for (const provider of providerAttempts(device)) {
    try {
      const options = sessionOptions(provider);
      const session = await (typeof model === 'string'
        ? ort.InferenceSession.create(model, options)
        : ort.InferenceSession.create(model, options));
      const note = failures.length > 0 ? `${failures.join('; ')}; using ${LABEL[provider]}` : null;
      return { session, provider, note };
    } catch (err) {
      if (provider === 'cpu') {
        throw new AutotuneError('E_MODEL_LOAD', `cannot load model ${describe}: ${shortReason(err)}`, {
          hint: 'check that the file is an ONNX model (an Ultralytics YOLO export with format=onnx)',
          context: { model: describe, provider },
          cause: err,
        });
      }
      failures.push(`${LABEL[provider]} execution provider unavailable (${shortReason(err)})`);
    }
  }
  throw new AutotuneError('E_PROVIDER', `no execution provider could load ${describe}`, { context: { failures } });
}

export interface ProviderProbe {
  name: Provider;
  usable: boolean;
  /** Why it is not usable; null when usable. */
  reason: string | null;
}

/** Tries to create a tiny session with each provider alone: what `doctor` reports. */
export async function probeProviders(): Promise<ProviderProbe[]> {
  const listed = new Set(ort.listSupportedBackends().map((b) => b.name));
  const model = preprocessModel('float32');
  const probes: ProviderProbe[] = [];
  for (const name of ['cuda', 'tensorrt', 'cpu'] as const) {
    if (!listed.has(name)) {
      probes.push({ name, usable: false, reason: 'not supported by this onnxruntime-node build' });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(model, { executionProviders: [name] });
      await session.release();
      probes.push({ name, usable: true, reason: null });
    } catch (err) {
      probes.push({ name, usable: false, reason: shortReason(err) });
    }
  }
  return probes;
}
