// One study session: probes the host and the network, serves a samples folder when asked, opens
// (or resumes) the study, runs the search loop and closes everything. `autotune run` and
// `autotune demo` share it; the commands only normalise options and print.

import { existsSync, readFileSync } from 'node:fs';
import { AutotuneError, messageOf } from '../errors.js';
import type { NetProbe } from '../net/types.js';
import type { ReferenceAnswer } from '../pipeline/reference/index.js';
import type { Evaluator, VideoRef } from '../pipeline/types.js';
import { configKey, createSampler, loadSpace, restrictToCapabilities, type Space } from '../search/index.js';
import { openStorage } from '../store/index.js';
import type { ObjectiveSpec, Storage } from '../store/types.js';
import { snapshotHost, type HostSnapshot } from './host.js';
import { describeObjective, openStudy } from './open.js';
import { createProgress } from './progress.js';
import { noWinnerReport } from './report.js';
import { runStudy, type StudyRunResult } from './runner.js';
import { samplesIn, sha256File, videoRefsFor } from './sources.js';

export interface RunSettings {
  space: string;
  model: string;
  study: string | undefined;
  db: string;
  sampler: string;
  seed: number;
  trials: number | null;
  timeLimitMs: number | null;
  repeats: number;
  objective: ObjectiveSpec;
  confirmTop: number;
  confirmRepeats: number;
  device: 'auto' | 'cpu' | 'cuda';
  source: { kind: 'urls'; urls: string[] } | { kind: 'samples'; dir: string; profile: string | undefined };
  caFile: string | undefined;
  /** Model class id -> SN44 class id, for models trained with other class ids. */
  classMap?: Record<number, number>;
  /** Which evaluator measures the trials and how (recorded with the study); absent = the pipeline. */
  evaluator?: { kind: string } & Record<string, unknown>;
}

export interface EvaluatorContext {
  space: Space;
  /** Extra CA for the videos (the lab server's, or --ca). */
  ca: string | undefined;
  storage: Storage;
  videos: VideoRef[];
  say: (line: string) => void;
}

/** How the session gets its evaluator; the command that knows the evaluator's options makes it. */
export interface EvaluatorPlan {
  /** Whether --model must exist (the pipeline runs it). */
  needsModel: boolean;
  /** Serve --samples over plain HTTP: a miner in another process does not trust the lab's certificate. */
  plainHttpSamples: boolean;
  /** Whether this host's decoder and model runtime matter (the pipeline), or another program's (a miner). */
  probesHost: boolean;
  create(context: EvaluatorContext): Promise<Evaluator>;
}

const FALLBACK_NOTES: Record<string, string> = {
  nvdec: 'NVDEC unavailable, decoding on the CPU',
  cuda: 'CUDA execution provider unavailable, inference on the CPU',
};

export interface SessionIo {
  say(line: string): void;
  warn(line: string): void;
  /** Draw a progress bar (a terminal) instead of plain lines. */
  tty: boolean;
}

export interface SessionOutcome {
  study: string;
  result: StudyRunResult;
  /** Why no config is usable, when none is (null when there is a winner or the run was interrupted). */
  noWinner: string | null;
}

/** Runs a study to its end (or to Ctrl-C); every finished challenge is in the store either way. */
export async function runSession(settings: RunSettings, io: SessionIo, plan: EvaluatorPlan = pipelinePlan(settings)): Promise<SessionOutcome> {
  const say = io.say;
  if (plan.needsModel && !existsSync(settings.model)) {
    throw new AutotuneError('E_NOT_FOUND', `model ${settings.model} does not exist`, {
      hint: 'make the lab model with `autotune model make`, or pass --model with an ONNX detection model',
    });
  }
  const loaded = await loadSpace(settings.space);
  const capabilities = plan.probesHost ? await probeCapabilities(settings.device) : notProbed();
  const { space, dropped } = restrictToCapabilities(loaded, Object.fromEntries(Object.entries(capabilities).map(([k, v]) => [k, v.usable])));
  for (const d of dropped) say(`note: ${d.reason}`);
  for (const [name, cap] of Object.entries(capabilities)) if (!cap.usable) say(`note: ${FALLBACK_NOTES[name] ?? `${name} unavailable`} (${cap.reason})`);

  let ca = settings.caFile ? readCa(settings.caFile) : undefined;
  let videos: VideoRef[];
  let closeServer: () => Promise<void> = async () => {};
  const videoFacts: { url: string; path?: string; size?: number }[] = [];
  if (settings.source.kind === 'samples') {
    const samples = samplesIn(settings.source.dir);
    const { startLabServer } = await import('../lab/server/index.js');
    const server = await startLabServer({ dir: settings.source.dir, port: 0, httpPort: 0, profile: settings.source.profile, log: () => {} });
    closeServer = () => server.close();
    ca = server.ca;
    const base = plan.plainHttpSamples ? server.httpUrl : server.httpsUrl;
    videos = videoRefsFor(samples, base);
    samples.forEach((s, i) => videoFacts.push({ url: videos[i]!.url, path: s.path, size: s.size }));
    say(`serving ${samples.length} sample(s) from ${settings.source.dir} at ${base}${settings.source.profile ? ` (profile ${settings.source.profile})` : ''}`);
  } else {
    videos = settings.source.urls.map((url) => ({ url }));
    videoFacts.push(...videos.map((v) => ({ url: v.url })));
  }

  let storage: Storage;
  try {
    storage = openStorage(settings.db);
  } catch (err) {
    // The lab server's sockets would keep the process alive after the error.
    await closeServer().catch(() => {});
    throw err;
  }
  const stop = new AbortController();
  const abort = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) {
      stop.abort();
      io.warn('\nstopping after the current challenge (Ctrl-C again to abort it)\n');
    } else abort.abort();
  };
  process.on('SIGINT', onSigint);
  let evaluator: Evaluator | null = null;
  const progress = createProgress({ tty: io.tty, objective: settings.objective.kind });
  try {
    // First: a miner evaluator restores what an interrupted study left before anything is measured.
    evaluator = await plan.create({ space, ca, storage, videos, say });
    for (const v of videoFacts) {
      storage.putVideo({
        url: v.url,
        size: v.size ?? null,
        etag: null,
        sha256: v.path ? await sha256File(v.path) : null,
        frames: null,
        faststart: v.path ? await isFaststartFile(v.path) : null,
      });
    }
    const host = snapshotHost(capabilities);
    const netProbe = await probeFirstVideo(videos[0]!.url, ca, say);
    if (netProbe?.video && !netProbe.video.error) {
      const known = storage.getVideo(videos[0]!.url);
      storage.putVideo({
        url: videos[0]!.url,
        size: known?.size ?? netProbe.video.size,
        etag: known?.etag ?? null,
        sha256: known?.sha256 ?? null,
        frames: netProbe.video.frameCount,
        faststart: netProbe.video.faststart,
      });
    }
    const name = settings.study ?? space.name;
    const { study, resumed, recovered } = openStudy(storage, {
      name,
      spaceFile: settings.space,
      space,
      objective: settings.objective,
      settings: { ...settings, videos: videos.map((v) => v.url), caFile: settings.caFile ?? null },
      host,
      netProbe,
    });
    if (resumed) {
      const count = storage.listTrials(study.id).length;
      say(`resuming study ${name} (${count} trials so far${recovered.length ? `; trial(s) ${recovered.join(', ')} marked FAIL: interrupted` : ''})`);
    } else say(`study ${name}: ${describeObjective(study.objective)}, sampler ${settings.sampler}, ${videos.length} video(s) x ${settings.repeats} repeats`);

    const result = await runStudy({
      storage,
      study,
      evaluator,
      videos,
      space,
      baselines: space.baselines,
      sampler: createSampler(settings.sampler),
      seed: settings.seed,
      trials: settings.trials,
      timeLimitMs: settings.timeLimitMs,
      repeats: settings.repeats,
      confirmTop: settings.confirmTop,
      confirmRepeats: settings.confirmRepeats,
      stop: stop.signal,
      abort: abort.signal,
      configKey,
      events: progress.events,
    });
    progress.stop();
    return { study: name, result, noWinner: result.interrupted ? null : noWinnerReport(result.ranking) };
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    await evaluator?.close().catch(() => {});
    await closeServer().catch(() => {});
    storage.close();
  }
}

/** A miner brings its own decoder and runtime: no knob is pinned for this host's lack of them. */
function notProbed(): HostSnapshot['capabilities'] {
  const reason = 'not probed: the measured miner runs its own decoder and model';
  return { nvdec: { usable: true, reason }, cuda: { usable: true, reason } };
}

async function probeCapabilities(device: RunSettings['device']): Promise<HostSnapshot['capabilities']> {
  const { probeNvdec } = await import('../pipeline/decode/index.js');
  const nvdec = await probeNvdec();
  let cuda = { usable: false, reason: 'not probed: --device cpu' as string | null };
  if (device !== 'cpu') {
    const { probeProviders } = await import('../pipeline/infer/index.js');
    const probe = (await probeProviders()).find((p) => p.name === 'cuda');
    cuda = { usable: probe?.usable ?? false, reason: probe?.reason ?? 'not listed' };
  }
  return { nvdec: { usable: nvdec.usable, reason: nvdec.usable ? null : nvdec.reason }, cuda };
}

/** The built-in pipeline evaluator, with references kept in the study's store. */
export function pipelinePlan(settings: RunSettings): EvaluatorPlan {
  return { needsModel: true, plainHttpSamples: false, probesHost: true, create: (c) => createEvaluator(settings, c.space, c.ca, c.storage, c.say) };
}

async function createEvaluator(settings: RunSettings, space: Space, ca: string | undefined, storage: Storage, say: (line: string) => void): Promise<Evaluator> {
  // Loaded on demand so the other commands start without onnxruntime.
  const { createPipelineEvaluator } = await import('../pipeline/evaluator.js');
  const numberOr = (v: unknown, fallback: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  return createPipelineEvaluator({
    modelPath: settings.model,
    device: settings.device,
    classMap: settings.classMap,
    ca,
    referenceImgSize: numberOr(space.reference.IMG_SIZE, 640),
    referenceConf: numberOr(space.reference.CONF_THRESHOLD, undefined),
    tMin: settings.objective.tMin,
    // Reference answers live in the results database next to the study.
    referenceCache: {
      get: async (key) => storage.getReference(key) as ReferenceAnswer | null,
      put: async (key, reference) => storage.putReference(key, reference),
    },
    log: say,
  });
}


function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot read --ca ${path}: ${(err as Error).message}`, { hint: 'pass a PEM certificate file' });
  }
}

async function isFaststartFile(path: string): Promise<boolean | null> {
  try {
    const { isFaststart } = await import('../lab/clips/index.js');
    return await isFaststart(path);
  } catch {
    return null;
  }
}

/** The network as the study saw it at the start (stored with the study); a failed probe is only a note. */
async function probeFirstVideo(url: string, ca: string | undefined, say: (line: string) => void): Promise<NetProbe | null> {
  try {
    const { probeNetwork } = await import('../net/probe.js');
    const probe = await probeNetwork(url, { ca, samples: 3, throughputBytes: 1024 * 1024 });
    say(`network: rtt ${probe.rttMs.toFixed(1)} ms, first byte ${probe.ttfbMs.toFixed(1)} ms (${probe.host})`);
    return probe;
  } catch (err) {
    say(`note: network probe of ${url} failed (${messageOf(err)}); the study goes on without it`);
    return null;
  }
}
