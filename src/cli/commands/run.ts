// autotune run: a study against sample videos. Options are normalised once here; the search loop is
// src/study/runner.ts.

import { existsSync, readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { AutotuneError, messageOf } from '../../errors.js';
import type { NetProbe } from '../../net/types.js';
import type { Evaluator, VideoRef } from '../../pipeline/types.js';
import { configKey, createSampler, loadSpace, restrictToCapabilities, SAMPLER_NAMES, type Space } from '../../search/index.js';
import { DEFAULT_DB_PATH, openStorage } from '../../store/index.js';
import type { ObjectiveSpec, Storage } from '../../store/types.js';
import type { ReferenceAnswer } from '../../pipeline/reference/index.js';
import { snapshotHost, type HostSnapshot } from '../../study/host.js';
import { describeObjective, openStudy } from '../../study/open.js';
import { createProgress } from '../../study/progress.js';
import { noWinnerReport } from '../../study/report.js';
import { runStudy } from '../../study/runner.js';
import { checkUrl, parseDuration, readUrlsFile, samplesIn, sha256File, videoRefsFor } from '../../study/sources.js';
import { formatRanking } from './trials.js';

interface RunArgs {
  url?: string[];
  urlsFile?: string;
  samples?: string;
  profile?: string;
  ca?: string;
  space: string;
  model: string;
  study?: string;
  db: string;
  sampler: string;
  seed: number;
  trials?: number;
  timeLimit?: string;
  repeats: number;
  objective: string;
  accuracyFloor: number;
  tMin: number;
  confirmTop: number;
  confirmRepeats: number;
  device: string;
}

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
}

const positiveInt = (name: string, v: number | undefined, min = 1) => {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min) {
    throw new AutotuneError('E_USAGE', `--${name} must be an integer >= ${min}, got ${v}`, { hint: 'see autotune run --help' });
  }
  return v;
};

export function normalizeRunArgs(args: RunArgs): RunSettings {
  const sources = [args.url?.length ? 'url' : null, args.urlsFile ? 'urls-file' : null, args.samples ? 'samples' : null].filter(Boolean);
  if (sources.length !== 1) {
    throw new AutotuneError('E_USAGE', sources.length ? `use only one of --${sources.join(', --')}` : 'no sample videos given', {
      hint: 'pass --url URL (repeatable), --urls-file FILE, or --samples DIR',
    });
  }
  if (args.profile && !args.samples) throw new AutotuneError('E_USAGE', '--profile needs --samples', { hint: 'it shapes the lab server that serves DIR' });
  if (!SAMPLER_NAMES.includes(args.sampler as never)) {
    throw new AutotuneError('E_USAGE', `unknown --sampler ${args.sampler}`, { hint: `use one of ${SAMPLER_NAMES.join(', ')}` });
  }
  if (args.objective !== 'fastest-safe' && args.objective !== 'sn44') {
    throw new AutotuneError('E_USAGE', `unknown --objective ${args.objective}`, { hint: 'use fastest-safe or sn44' });
  }
  if (!(args.accuracyFloor > 0 && args.accuracyFloor <= 1)) {
    throw new AutotuneError('E_USAGE', `--accuracy-floor must be in (0, 1], got ${args.accuracyFloor}`, { hint: 'e.g. 0.98' });
  }
  if (!(args.tMin >= 0 && args.tMin < 15)) {
    throw new AutotuneError('E_USAGE', `--t-min must be in [0, 15) seconds, got ${args.tMin}`, { hint: 'e.g. 2' });
  }
  if (!['auto', 'cpu', 'cuda'].includes(args.device)) {
    throw new AutotuneError('E_USAGE', `unknown --device ${args.device}`, { hint: 'use auto, cpu or cuda' });
  }
  const trials = positiveInt('trials', args.trials, 0) ?? null;
  const timeLimitMs = args.timeLimit === undefined ? null : parseDuration(args.timeLimit);
  return {
    space: args.space,
    model: args.model,
    study: args.study,
    db: args.db,
    sampler: args.sampler,
    seed: positiveInt('seed', args.seed, 0)!,
    // Without any budget, a study runs 20 sampled trials.
    trials: trials === null && timeLimitMs === null ? 20 : trials,
    timeLimitMs,
    repeats: positiveInt('repeats', args.repeats)!,
    objective: { kind: args.objective, accuracyFloor: args.accuracyFloor, tMin: args.tMin },
    confirmTop: positiveInt('confirm-top', args.confirmTop, 0)!,
    confirmRepeats: positiveInt('confirm-repeats', args.confirmRepeats, 0)!,
    device: args.device as RunSettings['device'],
    source: args.samples
      ? { kind: 'samples', dir: args.samples, profile: args.profile }
      : { kind: 'urls', urls: args.urlsFile ? readUrlsFile(args.urlsFile) : args.url!.map((u) => checkUrl(u, '--url')) },
    caFile: args.ca,
  };
}

async function probeCapabilities(device: RunSettings['device']): Promise<HostSnapshot['capabilities']> {
  const { probeNvdec } = await import('../../pipeline/decode/index.js');
  const nvdec = await probeNvdec();
  let cuda = { usable: false, reason: 'not probed: --device cpu' as string | null };
  if (device !== 'cpu') {
    const { probeProviders } = await import('../../pipeline/infer/index.js');
    const probe = (await probeProviders()).find((p) => p.name === 'cuda');
    cuda = { usable: probe?.usable ?? false, reason: probe?.reason ?? 'not listed' };
  }
  return { nvdec: { usable: nvdec.usable, reason: nvdec.usable ? null : nvdec.reason }, cuda };
}

async function createEvaluator(settings: RunSettings, space: Space, ca: string | undefined, storage: Storage): Promise<Evaluator> {
  // Loaded on demand so the other commands start without onnxruntime.
  const { createPipelineEvaluator } = await import('../../pipeline/evaluator.js');
  const numberOr = (v: unknown, fallback: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  return createPipelineEvaluator({
    modelPath: settings.model,
    device: settings.device,
    ca,
    referenceImgSize: numberOr(space.reference.IMG_SIZE, 640),
    referenceConf: numberOr(space.reference.CONF_THRESHOLD, undefined),
    tMin: settings.objective.tMin,
    // Reference answers live in the results database next to the study.
    referenceCache: {
      get: async (key) => storage.getReference(key) as ReferenceAnswer | null,
      put: async (key, reference) => storage.putReference(key, reference),
    },
    log: (line) => process.stdout.write(`${line}\n`),
  });
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Tune: measure configs of a search space on sample videos and store every challenge',
  builder: (y) =>
    y
      .option('url', { type: 'string', array: true, describe: 'sample video URL (repeatable)' })
      .option('urls-file', { type: 'string', describe: 'file with one sample video URL per line' })
      .option('samples', { type: 'string', describe: 'serve the .mp4 files of DIR through the lab server in-process' })
      .option('profile', { type: 'string', describe: 'lab link profile for --samples (see autotune lab serve --help)' })
      .option('ca', { type: 'string', describe: "PEM file of a CA to trust (a server's self-signed certificate)" })
      .option('space', { type: 'string', default: 'search-spaces/sn44.yaml', describe: 'search space file' })
      .option('model', { type: 'string', default: 'models/lab-detector.onnx', describe: 'ONNX detection model' })
      .option('study', { type: 'string', describe: "study name (default: the space's name); an existing study resumes" })
      .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'results database' })
      .option('sampler', { type: 'string', default: 'tpe', choices: ['tpe', 'random', 'grid'], describe: 'how configs are proposed' })
      .option('seed', { type: 'number', default: 1, describe: 'sampler seed' })
      .option('trials', { type: 'number', describe: 'sampled trials to run now, baselines not counted (default 20 without --time-limit)' })
      .option('time-limit', { type: 'string', describe: 'stop starting trials after this long, e.g. 10m' })
      .option('repeats', { type: 'number', default: 3, describe: 'challenges per video per trial' })
      .option('objective', { type: 'string', default: 'fastest-safe', choices: ['fastest-safe', 'sn44'] })
      .option('accuracy-floor', { type: 'number', default: 0.98, describe: "fastest-safe: minimum F1 against the reference's answers" })
      .option('t-min', { type: 'number', default: 2, describe: "sn44: the batch's fastest valid answer, seconds" })
      .option('confirm-top', { type: 'number', default: 3, describe: 'feasible trials re-measured against the baselines at the end' })
      .option('confirm-repeats', { type: 'number', default: 5, describe: 'repeats per video in the confirmation race (0 skips it)' })
      .option('device', { type: 'string', default: 'auto', choices: ['auto', 'cpu', 'cuda'], describe: 'inference device' }) as unknown as Argv<RunArgs>,
  handler: async (args) => {
    const settings = normalizeRunArgs(args);
    if (!existsSync(settings.model)) {
      throw new AutotuneError('E_NOT_FOUND', `model ${settings.model} does not exist`, {
        hint: 'make the lab model with `autotune model make`, or pass --model with an ONNX detection model',
      });
    }
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const loaded = await loadSpace(settings.space);
    const capabilities = await probeCapabilities(settings.device);
    const { space, dropped } = restrictToCapabilities(loaded, Object.fromEntries(Object.entries(capabilities).map(([k, v]) => [k, v.usable])));
    for (const d of dropped) say(`note: ${d.reason}`);
    for (const [name, cap] of Object.entries(capabilities)) if (!cap.usable) say(`note: ${name} unavailable (${cap.reason})`);

    let ca = settings.caFile ? readCa(settings.caFile) : undefined;
    let videos: VideoRef[];
    let closeServer: () => Promise<void> = async () => {};
    const videoFacts: { url: string; path?: string; size?: number }[] = [];
    if (settings.source.kind === 'samples') {
      const samples = samplesIn(settings.source.dir);
      const { startLabServer } = await import('../../lab/server/index.js');
      const server = await startLabServer({ dir: settings.source.dir, port: 0, httpPort: 0, profile: settings.source.profile, log: () => {} });
      closeServer = () => server.close();
      ca = server.ca;
      videos = videoRefsFor(samples, server.httpsUrl);
      samples.forEach((s, i) => videoFacts.push({ url: videos[i]!.url, path: s.path, size: s.size }));
      say(`serving ${samples.length} sample(s) from ${settings.source.dir} at ${server.httpsUrl}${settings.source.profile ? ` (profile ${settings.source.profile})` : ''}`);
    } else {
      videos = settings.source.urls.map((url) => ({ url }));
      videoFacts.push(...videos.map((v) => ({ url: v.url })));
    }

    const storage = openStorage(settings.db);
    const stop = new AbortController();
    const abort = new AbortController();
    const onSigint = () => {
      if (!stop.signal.aborted) {
        stop.abort();
        process.stderr.write('\nstopping after the current challenge (Ctrl-C again to abort it)\n');
      } else abort.abort();
    };
    process.on('SIGINT', onSigint);
    let evaluator: Evaluator | null = null;
    const progress = createProgress({ tty: process.stdout.isTTY === true, objective: settings.objective.kind });
    try {
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

      evaluator = await createEvaluator(settings, space, ca, storage);
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
      if (result.interrupted) {
        say(`interrupted: ${result.trialsRun} trial(s) run now, every finished challenge is saved in ${settings.db}`);
        say(`resume with the same command (study "${name}", --db ${settings.db}); the interrupted trial is kept as PRUNED`);
        process.exitCode = 130;
        return;
      }
      say('');
      say(formatRanking(result.ranking.slice(0, 8), result.ranking));
      const report = noWinnerReport(result.ranking);
      if (report) {
        process.stderr.write(`autotune: study "${name}" found no usable config: ${report}\n`);
        process.exitCode = 1;
        return;
      }
      const w = result.winner!;
      say('');
      say(`winner: trial ${w.number}${w.baseline ? ` (baseline ${w.baseline})` : ''}, median ${w.median?.toFixed(3)} s, accuracy ${w.accuracy?.toFixed(3) ?? '-'} (${w.phase} measurements)`);
      say(`next: autotune trials --study ${name}${settings.db === DEFAULT_DB_PATH ? '' : ` --db ${settings.db}`}, then autotune emit`);
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
      await evaluator?.close().catch(() => {});
      await closeServer().catch(() => {});
      storage.close();
    }
  },
};

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot read --ca ${path}: ${(err as Error).message}`, { hint: 'pass a PEM certificate file' });
  }
}

async function isFaststartFile(path: string): Promise<boolean | null> {
  try {
    const { isFaststart } = await import('../../lab/clips/index.js');
    return await isFaststart(path);
  } catch {
    return null;
  }
}

/** The network as the study saw it at the start (stored with the study); a failed probe is only a note. */
async function probeFirstVideo(url: string, ca: string | undefined, say: (line: string) => void): Promise<NetProbe | null> {
  try {
    const { probeNetwork } = await import('../../net/probe.js');
    const probe = await probeNetwork(url, { ca, samples: 3, throughputBytes: 1024 * 1024 });
    say(`network: rtt ${probe.rttMs.toFixed(1)} ms, first byte ${probe.ttfbMs.toFixed(1)} ms (${probe.host})`);
    return probe;
  } catch (err) {
    say(`note: network probe of ${url} failed (${messageOf(err)}); the study goes on without it`);
    return null;
  }
}
