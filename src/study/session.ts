// A study session, in two steps. `openSession` checks the space against the evaluator's knobs before
// anything else, lets the factory check its tools on this host (the pipeline's decoder), probes the
// host when the evaluator runs on it, lets the factory fit the space to the evaluator (e.g. to the
// model), serves a samples folder when asked, creates the evaluator, probes the network, lets the
// factory check the evaluator on the first video, and only then opens (or resumes) the study;
// `session.run` runs the search loop. What differs between evaluators is declared by the factory
// (checkHost, probesHost, samplesOver, fitSpace, preflight): the session never asks which one it
// drives. `autotune run` and `autotune demo` use `runSession` (open, run with Ctrl-C handling, close);
// the benchmark opens a session itself and reuses its evaluator afterwards.

import { AutotuneError, isAutotuneError, messageOf } from '../errors.js';
import { fallbackNotes, notProbedCapabilities, probeCapabilities, usableCapabilities, type Device } from '../host/capabilities.js';
import { snapshotHost } from '../host/snapshot.js';
import type { LabServer } from '../lab/server/index.js';
import type { NetProbe } from '../net/types.js';
import type { Evaluator, EvaluatorFactory, VideoRef } from '../pipeline/types.js';
import { createSampler, loadSpace, restrictToCapabilities, type SamplerName, type Space } from '../search/index.js';
import { openStorage, redact } from '../store/index.js';
import type { ObjectiveSpec, Storage, StudyRecord } from '../store/types.js';
import { changedSettings } from './changed-settings.js';
import { checkResumable, describeObjective, openStudy } from './open.js';
import { spaceAsRead } from './space-changes.js';
import { createProgress } from './progress.js';
import { noWinnerReport } from './report.js';
import { describeRepeats, type RacePolicy, type RepeatPolicy } from './policy.js';
import { runStudy, type RunnerEvents, type StudyRunResult } from './runner.js';
import { samplesIn, sha256File, videoRefsFor } from './sources.js';
import { loadWarmStart } from './warm-start.js';

export type VideoSource =
  | { kind: 'urls'; urls: string[] }
  /** A folder served by the lab server in-process; `names` picks some of its .mp4 files. */
  | { kind: 'samples'; dir: string; profile: string | undefined; names?: string[] }
  /** Videos known by name only (a replay table's): nothing is fetched or probed. */
  | { kind: 'names'; names: string[] };

/** A study's settings, normalized by the command that starts it. */
export interface SessionSettings {
  space: string;
  study: string | undefined;
  /** The results store: a SQLite file or a postgres:// URL. */
  db: string;
  sampler: SamplerName;
  seed: number;
  /** Sampled trials of the study in all, by every worker. */
  trials: number | null;
  /** Sampled trials this worker runs at most (null or absent: no limit of its own). */
  workerTrials?: number | null;
  /**
   * A RUNNING trial silent for this long is failed by whichever worker notices; this worker beats 4
   * times as often (absent: the runner's default, and the study opens with open.ts's hour).
   */
  heartbeatTimeoutS?: number;
  timeLimitMs: number | null;
  repeats: RepeatPolicy;
  racing: RacePolicy;
  /** The baseline measured throughout as the control: a name, null for none, undefined for the space's first baseline. */
  control: string | null | undefined;
  warmup: number;
  objective: ObjectiveSpec;
  confirmTop: number;
  confirmRepeats: number;
  /** The devices to probe for (cpu leaves CUDA unprobed). */
  device: Device;
  source: VideoSource;
  /** An extra CA to trust (--ca), read at the command line. */
  ca: { file: string; pem: string } | undefined;
  /** Seed the sampler with another study of the same store and re-measure its best `top` first. */
  warmStart?: { from: string; top: number } | null;
}

export interface SessionIo {
  say(line: string): void;
  warn(line: string): void;
  /** Draw a progress bar (a terminal) instead of plain lines. */
  tty: boolean;
}

export interface RunControl {
  /** Aborting it stops the study after the current challenge. */
  stop?: AbortSignal;
  /** Aborting it also aborts the current challenge. */
  abort?: AbortSignal;
  events?: RunnerEvents;
}

export interface StudySession<E extends Evaluator = Evaluator> {
  readonly name: string;
  readonly storage: Storage;
  readonly study: StudyRecord;
  /** The space as this host runs it (knobs needing a missing capability pinned). */
  readonly space: Space;
  readonly videos: VideoRef[];
  readonly evaluator: E;
  /** The lab server that serves a samples folder; null for URLs. */
  readonly server: LabServer | null;
  readonly ca: string | undefined;
  run(control?: RunControl): Promise<StudyRunResult>;
  /** Closes the evaluator, the lab server and the store. */
  close(): Promise<void>;
}

/**
 * Opens a study session; on failure, everything it opened is closed again. Aborting `signal` ends the
 * factory's preflight check at once (nothing of the study exists yet).
 */
export async function openSession<E extends Evaluator>(
  settings: SessionSettings,
  factory: EvaluatorFactory<E>,
  io: SessionIo,
  signal: AbortSignal = new AbortController().signal,
): Promise<StudySession<E>> {
  const say = io.say;
  // First, before any server, store or challenge: a knob the evaluator does not know is a typo.
  const loaded = loadSpace(settings.space, { knobs: factory.knobs, evaluator: factory.name, ...(factory.knobsFrom ? { knobsFrom: factory.knobsFrom } : {}) });
  // A misnamed --control is a typo too (baselines keep their names through the steps below).
  controlOf(settings.control, loaded, factory.timed ?? true);
  // Then the evaluator's own tools on this host: one that cannot run would fail every challenge.
  await factory.checkHost?.(say);
  const capabilities = factory.probesHost ? await probeCapabilities(settings.device) : notProbedCapabilities();
  const restricted = restrictToCapabilities(loaded, usableCapabilities(capabilities));
  for (const d of restricted.dropped) say(`note: ${d.reason}`);
  for (const note of fallbackNotes(capabilities)) say(`note: ${note}`);
  // Still before any video: the evaluator may refuse, or narrow the space to what it can run.
  const space = factory.fitSpace ? await factory.fitSpace(restricted.space, say) : restricted.space;
  const control = controlOf(settings.control, space, factory.timed ?? true);

  const cleanup: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
  };
  try {
    let ca = settings.ca?.pem;
    let server: LabServer | null = null;
    let videos: VideoRef[];
    const videoFacts: { url: string; path?: string; size?: number }[] = [];
    const source = settings.source;
    const samples = source.kind === 'samples' ? samplesIn(source.dir, source.names) : [];
    const storage = await openStorage(settings.db);
    cleanup.push(() => storage.close());
    const name = settings.study ?? space.name;
    const existing = await storage.getStudy(name);
    // A study this run cannot resume is refused before a video is served, probed or measured.
    const asRead = spaceAsRead(loaded);
    if (existing) checkResumable(existing, { name, spaceFile: loaded.file, objective: settings.objective, settings: { evaluator: factory.name, spaceAsRead: asRead } });
    if (source.kind === 'samples') {
      const { startLabServer } = await import('../lab/server/index.js');
      // A study's videos are its URLs: a resumed one serves its samples on the port it had before.
      const port = samplesPort(existing, factory.samplesOver);
      const ports = factory.samplesOver === 'http' ? { port: 0, httpPort: port ?? 0 } : { port: port ?? 0, httpPort: 0 };
      const started = await startLabServer({ dir: source.dir, ...ports, profile: source.profile, log: () => {} }).catch((err: unknown) => {
        if (port === null || !isAutotuneError(err, 'E_PORT_IN_USE')) throw err;
        throw new AutotuneError('E_PORT_IN_USE', `study "${name}" measured its samples served on port ${port}, which is in use now`, {
          hint: 'stop what holds it (another autotune run of this study?) and run the same command again: its videos keep their URLs only on that port',
        });
      });
      server = started;
      cleanup.push(() => started.close());
      ca = started.ca;
      const base = factory.samplesOver === 'http' ? started.httpUrl : started.httpsUrl;
      videos = videoRefsFor(samples, base);
      samples.forEach((s, i) => videoFacts.push({ url: videos[i]!.url, path: s.path, size: s.size }));
      say(`serving ${samples.length} sample(s) from ${source.dir} at ${base}${source.profile ? ` (profile ${source.profile})` : ''}`);
    } else if (source.kind === 'urls') {
      videos = source.urls.map((url) => ({ url }));
      videoFacts.push(...videos.map((v) => ({ url: v.url })));
    } else videos = source.names.map((url) => ({ url }));

    // Created before anything is measured: an evaluator may first put back what a crashed study left.
    const evaluator = await factory.create({
      reference: space.reference,
      ca,
      tMin: settings.objective.tMin,
      // Reference answers live in the results database next to the study.
      references: { get: (key) => storage.getReference(key), put: (key, value) => storage.putReference(key, value) },
      videos,
      log: say,
    });
    cleanup.push(() => evaluator.close());
    for (const v of videoFacts) {
      await storage.putVideo({
        url: v.url,
        size: v.size ?? null,
        etag: null,
        sha256: v.path ? await sha256File(v.path) : null,
        frames: null,
        faststart: v.path ? await isFaststartFile(v.path) : null,
      });
    }
    const netProbe = source.kind === 'names' ? null : await probeFirstVideo(videos[0]!.url, ca, say);
    if (netProbe?.video && !netProbe.video.error) {
      const known = await storage.getVideo(videos[0]!.url);
      await storage.putVideo({
        url: videos[0]!.url,
        size: known?.size ?? netProbe.video.size,
        etag: known?.etag ?? null,
        sha256: known?.sha256 ?? null,
        frames: netProbe.video.frameCount,
        faststart: netProbe.video.faststart,
      });
    }
    // The last check before the study exists: one that fails leaves no study behind.
    await factory.preflight?.(evaluator, videos[0]!, signal, say);
    if (signal.aborted) throw new AutotuneError('E_INTERRUPTED', 'interrupted before the study was created', { hint: 'nothing was measured; run the same command again' });
    const warmStart = settings.warmStart ? await loadWarmStart(storage, settings.warmStart.from, name, space, settings.warmStart.top) : undefined;
    const { study, resumed, recovered, previousSettings, spaceEdits = [] } = await openStudy(storage, {
      name,
      spaceFile: loaded.file,
      space,
      objective: settings.objective,
      settings: { ...recorded(settings), control, ...factory.settings, evaluator: factory.name, videos: videos.map((v) => v.url), spaceAsRead: asRead },
      host: snapshotHost(capabilities),
      netProbe,
    }, settings.heartbeatTimeoutS);
    if (resumed) {
      const count = (await storage.listTrials(study.id)).length;
      say(`resuming study ${name} (${count} trials so far${recovered.length ? `; trial(s) ${recovered.join(', ')} marked FAIL: interrupted` : ''})`);
      const changed = previousSettings ? changedSettings(previousSettings, study.settings) : [];
      if (changed.length > 0) say(`note: this run measures with ${changed.join(', ')}; what was measured before keeps its figures`);
      if (spaceEdits.length > 0) {
        say(`note: ${loaded.file} changed since the study's last run (${spaceEdits.join(', ')}): its trials keep their configs and figures; the search goes on in the space as the file is now`);
      }
    } else {
      say(
        `study ${name}: ${describeObjective(study.objective)}, sampler ${settings.sampler}, ${videos.length} video(s) x ${describeRepeats(settings.repeats)}, ` +
          `racing ${settings.racing.enabled ? 'on' : 'off'}, control ${control ?? (factory.timed === false && settings.control === undefined ? 'none (replayed figures do not follow a clock)' : 'none')}`,
      );
    }
    if (warmStart) {
      const top = warmStart.top.map((t) => t.number);
      say(
        `warm start from study ${warmStart.study}: its ${warmStart.history.trials.length} finished trial(s) inform the sampler (not this study's ranking)` +
          (top.length ? `; its best, trial(s) ${top.join(', ')}, are measured on this host first` : ''),
      );
    }

    return {
      name,
      storage,
      study,
      space,
      videos,
      evaluator,
      server,
      ca,
      run: (runControl = {}) =>
        runStudy({
          storage,
          study,
          evaluator,
          videos,
          space,
          baselines: space.baselines,
          sampler: createSampler(settings.sampler),
          seed: settings.seed,
          trials: settings.trials,
          workerTrials: settings.workerTrials,
          heartbeatTimeoutS: settings.heartbeatTimeoutS,
          timeLimitMs: settings.timeLimitMs,
          repeats: settings.repeats,
          racing: settings.racing,
          control,
          timed: factory.timed ?? true,
          warmup: settings.warmup,
          confirmTop: settings.confirmTop,
          confirmRepeats: settings.confirmRepeats,
          warmStart,
          ...runControl,
        }),
      close: closeAll,
    };
  } catch (err) {
    // The lab server's sockets would keep the process alive after the error.
    await closeAll();
    throw err;
  }
}

export interface SessionOutcome {
  study: string;
  result: StudyRunResult;
  /** Why no config is usable, when none is (null when there is a winner or the run was interrupted). */
  noWinner: string | null;
}

/** Runs a study to its end (or to Ctrl-C); every finished challenge is in the store either way. */
export async function runSession(settings: SessionSettings, factory: EvaluatorFactory, io: SessionIo): Promise<SessionOutcome> {
  const stop = new AbortController();
  const abort = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) {
      stop.abort();
      io.warn('\nstopping after the current challenge (Ctrl-C again to abort it)\n');
    } else abort.abort();
  };
  process.on('SIGINT', onSigint);
  let session: StudySession;
  try {
    // Ctrl-C while the session opens ends the factory's preflight check at once.
    session = await openSession(settings, factory, io, stop.signal);
  } catch (err) {
    process.off('SIGINT', onSigint);
    throw err;
  }
  const progress = createProgress({ tty: io.tty, objective: settings.objective.kind, write: io.say, warn: io.warn });
  try {
    const result = await session.run({ stop: stop.signal, abort: abort.signal, events: progress.events });
    progress.stop();
    return { study: session.name, result, noWinner: result.interrupted ? null : noWinnerReport(result.ranking) };
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    await session.close();
  }
}

/**
 * The control's baseline name: the space's first baseline unless named (or none). An evaluator without
 * a clock (a replay) gets none unless one is named: its host's speed cannot move.
 */
function controlOf(control: string | null | undefined, space: Space, timed: boolean): string | null {
  if (control === null) return null;
  const names = space.baselines.map((b) => b.name);
  if (control === undefined) return timed ? (names[0] ?? null) : null;
  if (!names.includes(control)) {
    throw new AutotuneError('E_USAGE', `--control ${control} is not a baseline of ${space.file}`, {
      hint: names.length ? `use one of ${names.join(', ')}, or --control none` : 'the space has no baselines: use --control none',
    });
  }
  return control;
}

/** The settings as the study records them: the CA by its file name, not its text; the store without its password. */
function recorded(settings: SessionSettings): Record<string, unknown> {
  const { ca, ...rest } = settings;
  return { ...rest, db: redact(settings.db), caFile: ca?.file ?? null };
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

/** The loopback port a study's samples were served on before (its recorded video URLs), or null for a new study. */
function samplesPort(study: StudyRecord | null, over: 'https' | 'http'): number | null {
  const urls = (study?.settings as { videos?: unknown } | undefined)?.videos;
  if (!Array.isArray(urls)) return null;
  for (const url of urls) {
    try {
      const u = new URL(String(url));
      if (u.protocol === `${over}:` && (u.hostname === '127.0.0.1' || u.hostname === 'localhost') && u.port) return Number(u.port);
    } catch {
      // not a URL
    }
  }
  return null;
}
