import { messageOf } from '../errors.js';
import { readTcpSettings } from '../net/tcp-settings.js';
import type { TcpSettings } from '../net/types.js';
import { checkDecoder, decoderFailure } from '../pipeline/decode/check.js';
import { probeNvdec } from '../pipeline/decode/nvdec.js';
import { probeProviders, type ProviderProbe } from '../pipeline/infer/providers.js';
import { probeFfmpeg, resolveFfmpeg } from '../util/ffmpeg.js';
import { detectGpu, type GpuInfo } from './gpu.js';
import { readVersions, type Versions } from './versions.js';

// What a user checks first on a miner host: can this machine decode and infer on the GPU, and if
// not, why. Every answer comes from a real attempt (a one-frame NVDEC decode, a session per provider).

export interface DoctorReport {
  ffmpeg: {
    path: string | null;
    source: string | null;
    version: string | null;
    hwaccels: string[];
    cuvidDecoders: string[];
    /** Why it cannot be used: missing, `cannot run: ...` or `cannot decode H.264: ...`; null when it decodes. */
    error: string | null;
    /** The same as one line with what to do; null when it decodes. */
    fix: string | null;
  };
  nvdec: { usable: boolean; reason: string; decoder: string | null };
  providers: ProviderProbe[];
  gpu: GpuInfo;
  versions: Versions;
  tcp: Pick<TcpSettings, 'congestionControl' | 'availableCongestionControl'>;
  /** The lines a user should act on. */
  advice: string[];
}

export async function runDoctor(): Promise<DoctorReport> {
  const [ffmpeg, nvdec, providers, gpu] = await Promise.all([
    probeFfmpegSafely(),
    probeNvdec().catch((err) => ({ usable: false, reason: messageOf(err), decoder: undefined })),
    probeProviders().then((probes) => probes.map(explainProvider)),
    detectGpu(),
  ]);
  const tcp = readTcpSettings();
  const report: DoctorReport = {
    ffmpeg,
    nvdec: { usable: nvdec.usable, reason: nvdec.reason, decoder: nvdec.decoder ?? null },
    providers,
    gpu,
    versions: readVersions(),
    tcp: { congestionControl: tcp.congestionControl, availableCongestionControl: tcp.availableCongestionControl },
    advice: [],
  };
  report.advice = adviceFor(report);
  return report;
}

async function probeFfmpegSafely(): Promise<DoctorReport['ffmpeg']> {
  let bin: ReturnType<typeof resolveFfmpeg>;
  try {
    bin = resolveFfmpeg();
  } catch (err) {
    return { path: null, source: null, version: null, hwaccels: [], cuvidDecoders: [], error: messageOf(err), fix: messageOf(err) };
  }
  // The real attempts first: what a binary that cannot run "lists" is nothing, not "no cuda hwaccel".
  const [check, info] = await Promise.all([checkDecoder(bin), probeFfmpeg(bin)]);
  const runs = check.ok || check.failed === 'decode';
  const cuvid = Object.entries(info.decoders)
    .filter(([, present]) => present)
    .map(([name]) => name);
  return {
    path: bin.path,
    source: bin.source,
    version: check.version,
    hwaccels: runs ? info.hwaccels : [],
    cuvidDecoders: runs ? cuvid : [],
    error: check.ok ? null : check.summary,
    fix: check.ok ? null : decoderFailure(check).toLine(),
  };
}

// onnxruntime only says "Failed to load shared library"; the usual cause is an install without the
// CUDA provider libraries (the default here: they are downloaded from outside the npm registry).
function explainProvider(p: ProviderProbe): ProviderProbe {
  if (p.usable || p.name === 'cpu' || !p.reason || !/Failed to load shared library/.test(p.reason)) return p;
  return {
    ...p,
    reason: `${p.reason}: its provider libraries (and the CUDA runtime) are not installed; on a GPU host run ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci`,
  };
}

function adviceFor(r: DoctorReport): string[] {
  const advice: string[] = [];
  const cuda = r.providers.find((p) => p.name === 'cuda');
  if (r.ffmpeg.fix) advice.push(r.ffmpeg.fix);
  if (r.gpu.present && !cuda?.usable) {
    advice.push(
      'a GPU is present but onnxruntime cannot use CUDA: reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci (needs the CUDA 12 runtime and cuDNN)',
    );
  }
  if (r.gpu.present && !r.nvdec.usable && !r.ffmpeg.fix) {
    advice.push('a GPU is present but NVDEC decode failed: install an ffmpeg built with cuda/cuvid (e.g. apt-get install ffmpeg) or set FFMPEG_PATH');
  }
  if (!r.gpu.present) advice.push('no GPU: studies run decode and inference on the CPU and drop USE_NVDEC from the search');
  const available = r.tcp.availableCongestionControl ?? [];
  if (available.includes('bbr') && r.tcp.congestionControl !== 'bbr') {
    advice.push(`TCP congestion control is ${r.tcp.congestionControl}; bbr is available (autotune emit suggests it when the link justifies it)`);
  }
  return advice;
}
