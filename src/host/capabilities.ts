// What this host can use in a study: NVDEC for decoding and the CUDA provider for inference, each
// probed by a real attempt (see doctor.ts for the full report). A study pins the knobs that need a
// missing capability and says why.

export type CapabilityName = 'nvdec' | 'cuda';
export type Capabilities = Record<CapabilityName, { usable: boolean; reason: string | null }>;
export type Device = 'auto' | 'cpu' | 'cuda';

const FALLBACK_NOTES: Record<CapabilityName, string> = {
  nvdec: 'NVDEC unavailable, decoding on the CPU',
  cuda: 'CUDA execution provider unavailable, inference on the CPU',
};

/** NVDEC always; CUDA unless the device is the CPU (then it is not probed). */
export async function probeCapabilities(device: Device): Promise<Capabilities> {
  // Loaded on demand: the onnxruntime binding is heavy, and commands without a study never need it.
  const { probeNvdec } = await import('../pipeline/decode/nvdec.js');
  const nvdec = await probeNvdec();
  let cuda: Capabilities['cuda'] = { usable: false, reason: 'not probed: --device cpu' };
  if (device !== 'cpu') {
    const { probeProviders } = await import('../pipeline/infer/providers.js');
    const probe = (await probeProviders()).find((p) => p.name === 'cuda');
    cuda = { usable: probe?.usable ?? false, reason: probe?.reason ?? 'not listed' };
  }
  return { nvdec: { usable: nvdec.usable, reason: nvdec.usable ? null : nvdec.reason }, cuda };
}

/** Capability name -> usable, as search spaces read it. */
/**
 * For an evaluator that brings its own decoder and model runtime (a miner in another process): this
 * host's lack of them pins no knob.
 */
export function notProbedCapabilities(): Capabilities {
  const reason = 'not probed: the evaluator runs its own decoder and model';
  return { nvdec: { usable: true, reason }, cuda: { usable: true, reason } };
}

export function usableCapabilities(capabilities: Capabilities): Record<string, boolean> {
  return Object.fromEntries(Object.entries(capabilities).map(([name, c]) => [name, c.usable]));
}

/** One line per missing capability: what falls back to the CPU, and why. */
export function fallbackNotes(capabilities: Capabilities): string[] {
  return (Object.entries(capabilities) as [CapabilityName, Capabilities[CapabilityName]][])
    .filter(([, c]) => !c.usable)
    .map(([name, c]) => `${FALLBACK_NOTES[name]} (${c.reason})`);
}
