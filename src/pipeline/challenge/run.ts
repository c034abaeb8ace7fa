// One challenge: fetch -> decode -> infer -> answer, the way the latency-tuned miner fork does it for
// the given knobs, with every stage marked on a clock that starts at t0. Failures end as a result
// with a typed reason (see FAILURE RULES below); this function does not throw for them.
//
// FAILURE RULES
// - 'stall': the stream went silent. Streaming: no byte for STREAM_BUFFER_TIMEOUT_S while the decoder
//   had consumed every byte it was given (or had not started, waiting for STREAM_MIN_START_BYTES). Download-then-decode: no byte for the run's idle timeout.
//   Either way the input is ended there and the frames decoded so far are answered (the fork's
//   behaviour); the error is recorded so the study sees the truncation.
// - 'moov-not-in-prefix': the mp4's moov is not before its mdat (seen in the first bytes) while
//   streaming or downloading a prefix, or the decoder found no moov in a prefix. Nothing is decoded.
// - 'no-range' (a Range request answered 200), 'http-status' (>= 300, a redirect not followed, an
//   empty body), 'connect' (no connection), 'reset' (the connection broke): the download failed;
//   decoding and inference stop at once and the answer keeps only batches already inferred.
// - 'too-slow': after RATE_WINDOW_MS of body, the download's measured rate (when bytes still come)
//   says it cannot finish within downloadTimeoutS (the validator's timeout), or that time has passed,
//   and no time budget will end the challenge before that; ended at once, like the failures above.
// - 'decode', 'nvdec-unavailable': from the decoder, or a moov without a video track, or a file that
//   ends before the media its moov indexes (truncated); 'model': the detector threw.
// - 'internal': aborted from outside, or the run's safety timeout (timeoutS) passed.
// The first failure wins; later ones (consequences) are not recorded.

import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { isAutotuneError } from '../../errors.js';
import { framesWithin, inspectMp4, type Mp4Info } from '../container/index.js';
import { startDecoder } from '../decode/index.js';
import type { DecodeInput, Decoder } from '../decode/types.js';
import { ConnectionPool, openTrackedAgent, startDownload, type DownloadOutcome, type TrackedAgent } from '../fetch/index.js';
import type { ChallengeError, ChallengeResult, Config } from '../types.js';
import { BatchRunner, type BatchDetector } from './batches.js';
import { HeadInspector } from './head.js';
import type { ChallengeSettings } from './settings.js';
import { StageClock, type StageDurations } from './timeline.js';

export interface ChallengeDetector extends BatchDetector {
  provider: string;
}

export interface ChallengeRun {
  url: string;
  /** The config as given (recorded in the result). */
  config: Config;
  settings: ChallengeSettings;
  detector: ChallengeDetector;
  /** Required when USE_CONNECTION_POOL=1: the warm connections that outlive challenges. */
  pool?: ConnectionPool | null;
  ca?: string | undefined;
  /** Folder for downloads that go to a file (CHUNKED_STREAMING=0). */
  tmpDir: string;
  /** Download-then-decode: longest silence before 'stall' (also the wait for response headers). */
  idleTimeoutS?: number;
  /** Safety net for the whole challenge. */
  timeoutS?: number;
  /** The download must be able to finish within this (default timeoutS, else 240 s: the validator's timeout). */
  downloadTimeoutS?: number;
  /** Called every WATCH_MS while the challenge runs (a terminal shows it on long waits). */
  onProgress?: (progress: ChallengeProgress) => void;
  /** USE_NVDEC=1 on a host without NVDEC: decode in software with a note (true) or fail (false). */
  nvdecFallback?: boolean;
  signal?: AbortSignal | undefined;
}

/** A ChallengeResult plus what diagnose shows about it. */
export interface ChallengeDetail extends ChallengeResult {
  stages: StageDurations;
  decoderNote: string | null;
  /** ETag and whole-file size the server reported (identify the video's content). */
  etag: string | null;
  fileSize: number | null;
  /** The URL that served the video after redirects (null when none were followed), and each hop. */
  finalUrl: string | null;
  redirects: string[];
  /** The video's frame size in pixels, once the decoder has seen the stream. */
  frameSize: { width: number; height: number } | null;
}

export interface ChallengeProgress {
  elapsedS: number;
  bytes: number;
  /** Bytes the response announced; null before its headers or when it did not say. */
  expectedBytes: number | null;
  /** Download rate over the last RATE_WINDOW_MS or more, bytes per second; null until measured. */
  bytesPerS: number | null;
  framesDecoded: number;
}

const FATAL: ReadonlySet<ChallengeError['reason']> = new Set(['no-range', 'http-status', 'connect', 'reset', 'too-slow', 'moov-not-in-prefix', 'internal']);

/** Body time the download rate is measured over before it may end a challenge as too slow. */
const RATE_WINDOW_MS = 2_000;
const WATCH_MS = 250;

export async function runChallenge(run: ChallengeRun): Promise<ChallengeDetail> {
  const s = run.settings;
  if (s.useConnectionPool && !run.pool) throw new Error('USE_CONNECTION_POOL=1 needs a connection pool');
  // The pool is warmed before the clock starts; a one-off agent is opened inside the challenge.
  const pooled = s.useConnectionPool ? await run.pool!.warm(run.url, s.enableHttp2) : null;
  const challenge = new Challenge(run, pooled);
  return challenge.run();
}

class Challenge {
  private readonly clock = new StageClock();
  private readonly s: ChallengeSettings;
  private readonly agent: TrackedAgent;
  private readonly ownAgent: boolean;
  private readonly connectionsBefore: number;
  private error: ChallengeError | null = null;
  private readonly head: HeadInspector;
  private readonly download;
  private readonly input: PassThrough | null;
  private readonly file: WriteStream | null;
  private readonly filePath: string | null;
  private decoder: Decoder | null = null;
  private decoding: Promise<void> | null = null;
  private batches: BatchRunner | null = null;
  private framesDecoded = 0;
  private lastDecodedAt: number | null = null;
  /** Time the decode loop waited for room in the inference queue (not decoding's own cost). */
  private blockedMs = 0;
  /** Streaming: chunks held until STREAM_MIN_START_BYTES have arrived, and when the gate opened. */
  private held: Buffer[] = [];
  private inputOpenedAt: number | null = null;
  private budgetSpent = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private stallTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  /** performance.now() when the TIME_BUDGET_S clock runs out, once it runs. */
  private budgetEndsAt: number | null = null;
  /** Start of the window the download rate is measured over: the first watch tick after the first byte. */
  private rateFrom: { at: number; bytes: number } | null = null;
  /** The body's first bytes, to say what a server sent instead of a video. */
  private firstBytes = Buffer.alloc(0);
  private bytesPerS: number | null = null;
  private decoderNote: string | null = null;
  private decoderName: string | null = null;
  private frameSize: { width: number; height: number } | null = null;

  constructor(
    private readonly spec: ChallengeRun,
    pooled: TrackedAgent | null,
  ) {
    const run = spec;
    this.s = run.settings;
    this.ownAgent = pooled === null;
    this.agent = pooled ?? openTrackedAgent({ allowH2: this.s.enableHttp2, ca: run.ca });
    this.connectionsBefore = pooled ? pooled.connections.length : 0;
    this.head = new HeadInspector(() => null);
    this.input = this.s.chunkedStreaming ? new PassThrough() : null;
    this.filePath = this.s.chunkedStreaming ? null : join(run.tmpDir, `challenge-${randomBytes(6).toString('hex')}.mp4`);
    this.file = this.filePath ? createWriteStream(this.filePath) : null;
    this.file?.on('error', (err) => this.fail({ reason: 'internal', message: `cannot write the download: ${err.message}` }));
    this.download = startDownload({
      url: run.url,
      dispatcher: this.agent.agent,
      rangeEnd: this.s.partialDownload ? this.s.partialDownloadBytes - 1 : null,
      idleTimeoutMs: (run.idleTimeoutS ?? 10) * 1000,
      signal: run.signal,
      connectFailed: () => this.agent.connections.slice(this.connectionsBefore).some((c) => c.error !== null),
      onChunk: (chunk) => this.onChunk(chunk),
    });
  }

  async run(): Promise<ChallengeDetail> {
    const onAbort = () => {
      this.fail({ reason: 'internal', message: 'the challenge was aborted' });
      this.stopAll();
    };
    if (this.spec.signal?.aborted) onAbort();
    this.spec.signal?.addEventListener('abort', onAbort, { once: true });
    const safety = setTimeout(() => {
      this.fail({ reason: 'internal', message: `the challenge passed the safety timeout of ${this.spec.timeoutS ?? 240}s` });
      this.stopAll();
    }, (this.spec.timeoutS ?? 240) * 1000);
    this.timers.push(safety);
    if (!this.s.startBudgetAfterFirstFrame) this.startBudget();
    if (this.input) {
      // Streaming: ffmpeg is started at t0 and waits on its stdin, so its start-up overlaps the wait
      // for STREAM_MIN_START_BYTES; decoding itself starts when the gate opens (the decoderStart mark).
      this.startDecoding({ stream: this.input }, false);
      this.watchForStall();
    }
    this.watch();
    let outcome: DownloadOutcome | null = null;
    try {
      outcome = await this.download.done;
      if (outcome.error) this.fail(outcome.error);
      await this.afterDownload(outcome);
      if (this.decoding) await this.decoding;
      return await this.result(outcome);
    } catch (err) {
      this.fail({ reason: 'internal', message: err instanceof Error ? err.message : String(err) });
      this.stopAll();
      if (this.decoding) await this.decoding.catch(() => {});
      return this.result(outcome);
    } finally {
      this.spec.signal?.removeEventListener('abort', onAbort);
      for (const t of this.timers) clearTimeout(t);
      clearTimeout(this.stallTimer);
      clearTimeout(this.watchTimer);
      this.input?.destroy();
      if (this.file && !this.file.closed) await new Promise<void>((resolve) => this.file!.end(() => resolve()));
      if (this.filePath) await rm(this.filePath, { force: true });
      if (this.ownAgent) await this.agent.close();
    }
  }

  private fail(error: ChallengeError): void {
    this.error ??= error;
  }

  private stopAll(): void {
    this.stopped = true;
    this.download.stop(this.error);
    this.decoder?.stop();
    void this.batches?.finishInFlight();
  }

  private onChunk(chunk: Buffer): void {
    if (this.firstBytes.length < 16) this.firstBytes = Buffer.concat([this.firstBytes, chunk.subarray(0, 16 - this.firstBytes.length)]);
    this.head.push(chunk);
    if (this.head.state === 'moov-after-mdat' && (this.s.chunkedStreaming || !this.prefixIsWholeFile())) {
      this.fail({
        reason: 'moov-not-in-prefix',
        message: `${this.url}: the mp4's moov atom comes after its media data, so it cannot be decoded from a ${this.s.chunkedStreaming ? 'stream' : 'prefix'}`,
      });
      this.stopAll();
      return;
    }
    if (this.head.state === 'unreadable') {
      const problem = (this.head.problem ?? '').replace(/^prefix: /, '');
      this.fail(
        /no video track/.test(problem)
          ? { reason: 'decode', message: `${this.url} has no video track (its moov holds only other tracks, e.g. audio)`, hint: 'use an mp4 with an H.264/H.265 video track' }
          : { reason: 'decode', message: `${this.url}: the mp4's moov atom cannot be read (${problem})`, hint: 'check that the URL serves a valid H.264/H.265 mp4' },
      );
      this.stopAll();
      return;
    }
    if (this.input) {
      if (this.inputOpenedAt !== null) this.input.write(chunk);
      else {
        this.held.push(chunk);
        if (this.download.bytes >= this.s.streamMinStartBytes) this.openInput();
      }
    } else {
      this.file!.write(chunk);
    }
  }

  /** Without a Range cut (or when the prefix covers the file) the download is the whole file. */
  private prefixIsWholeFile(): boolean {
    if (!this.s.partialDownload) return true;
    const size = this.download.fileSize;
    return size !== null && size <= this.s.partialDownloadBytes;
  }

  private async afterDownload(outcome: DownloadOutcome): Promise<void> {
    const usable = !this.error || !FATAL.has(this.error.reason);
    if (!usable) {
      this.stopAll();
      return;
    }
    const truncated = !outcome.complete;
    if (this.input) {
      if (this.inputOpenedAt === null && outcome.bytes > 0) this.openInput();
      this.input.end();
      return;
    }
    await new Promise<void>((resolve, reject) => this.file!.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (outcome.bytes > 0 && !this.stopped) {
      this.startDecoding({ path: this.filePath! }, !this.prefixIsWholeFile() || truncated);
    }
  }

  /** Streaming: hands the bytes held so far to the decoder; later chunks go straight through. */
  private openInput(): void {
    this.inputOpenedAt = performance.now();
    for (const chunk of this.held) this.input!.write(chunk);
    this.held = [];
  }

  private startDecoding(input: DecodeInput, prefix: boolean): void {
    if (this.stopped || this.budgetSpent) return;
    const decoder = startDecoder({
      input,
      prefix,
      size: this.s.imgSize,
      stride: this.s.frameStride,
      nvdec: this.s.useNvdec,
      nvdecFallback: this.spec.nvdecFallback ?? true,
      label: this.spec.url,
    });
    this.decoder = decoder;
    this.decoding = this.decodeAndInfer(decoder);
  }

  /** Starts the TIME_BUDGET_S clock: at t0, or at the first decoded frame (START_BUDGET_AFTER_FIRST_FRAME=1). */
  private startBudget(): void {
    const budget = this.s.timeBudgetS;
    if (budget === null) return;
    this.budgetEndsAt = performance.now() + budget * 1000;
    this.timers.push(setTimeout(() => this.spendBudget(), budget * 1000));
  }

  /** The URL that serves the video (after redirects, once known). */
  private get url(): string {
    return this.download.finalUrl;
  }

  /**
   * Every WATCH_MS: measures the download rate, reports progress, and ends a download that cannot
   * finish within the download timeout at its measured rate (unless the time budget ends it first).
   */
  private watch(): void {
    const deadlineMs = (this.spec.downloadTimeoutS ?? this.spec.timeoutS ?? 240) * 1000;
    const tick = () => {
      if (this.stopped) return;
      const now = performance.now();
      const dl = this.download;
      if (!dl.finished && dl.firstByteAt !== null) {
        this.rateFrom ??= { at: now, bytes: dl.bytes };
        const windowMs = now - this.rateFrom.at;
        if (windowMs >= RATE_WINDOW_MS) this.bytesPerS = ((dl.bytes - this.rateFrom.bytes) * 1000) / windowMs;
      }
      this.spec.onProgress?.({
        elapsedS: this.clock.elapsed(now),
        bytes: dl.bytes,
        expectedBytes: dl.expectedBytes,
        bytesPerS: this.bytesPerS,
        framesDecoded: this.framesDecoded,
      });
      if (!dl.finished && !this.budgetSpent && !this.budgetEndsFirst(deadlineMs)) {
        const elapsedMs = now - this.clock.t0;
        const remaining = dl.expectedBytes === null ? null : dl.expectedBytes - dl.bytes;
        // No byte at all in the window is silence, which the stall rules handle (they keep what came).
        const projectedMs = remaining === null || !this.bytesPerS ? null : elapsedMs + (remaining * 1000) / this.bytesPerS;
        if (elapsedMs >= deadlineMs || (projectedMs !== null && projectedMs > deadlineMs)) {
          this.failTooSlow(deadlineMs, projectedMs);
          return;
        }
      }
      if (!dl.finished || this.decoding) this.watchTimer = setTimeout(tick, WATCH_MS);
    };
    this.watchTimer = setTimeout(tick, WATCH_MS);
  }

  /** Whether the running TIME_BUDGET_S clock stops the challenge before the download deadline. */
  private budgetEndsFirst(deadlineMs: number): boolean {
    return this.budgetEndsAt !== null && this.budgetEndsAt <= this.clock.t0 + deadlineMs;
  }

  private failTooSlow(deadlineMs: number, projectedMs: number | null): void {
    const dl = this.download;
    const of = dl.expectedBytes === null ? '' : ` of ${dl.expectedBytes}`;
    const rate = this.bytesPerS === null ? 'an unmeasured rate' : rateText(this.bytesPerS);
    const would = projectedMs === null ? '' : `; it would take about ${Math.round(projectedMs / 1000)} s`;
    this.fail({
      reason: 'too-slow',
      message: `${this.url} downloads at ${rate} (${dl.bytes}${of} bytes after ${this.clock.elapsed(performance.now()).toFixed(1)} s): it cannot finish within the ${deadlineMs / 1000} s challenge timeout${would}`,
    });
    this.stopAll();
  }

  private spendBudget(): void {
    if (this.budgetSpent || this.stopped) return;
    this.budgetSpent = true;
    this.decoder?.stop();
    this.download.stop(null);
    void this.batches?.finishInFlight();
  }

  private async decodeAndInfer(decoder: Decoder): Promise<void> {
    const info = await decoder.info;
    if (info) {
      this.decoderName = info.decoder;
      this.decoderNote = info.decoderNote;
      this.frameSize = { width: info.srcWidth, height: info.srcHeight };
      const batches = new BatchRunner({
        detector: this.spec.detector,
        letterbox: info.letterbox,
        firstBatch: this.s.rampUpFirstBatch,
        batchSize: this.s.batchSize,
        onBatch: (at) => {
          this.clock.mark('firstBatch', at);
          this.clock.set('lastFrame', at);
        },
      });
      this.batches = batches;
      if (this.budgetSpent || this.stopped) void batches.finishInFlight();
      for await (const frame of decoder.frames) {
        const now = performance.now();
        if (this.framesDecoded === 0 && this.s.startBudgetAfterFirstFrame) this.startBudget();
        this.framesDecoded += 1;
        this.lastDecodedAt = now;
        if (this.budgetSpent || this.stopped) break;
        batches.add(frame);
        const waitFrom = performance.now();
        await batches.whenRoom();
        this.blockedMs += performance.now() - waitFrom;
        if (batches.error) break;
      }
      if (this.budgetSpent || this.stopped || batches.error) {
        decoder.stop();
        await batches.finishInFlight();
      } else {
        await batches.finish();
      }
      if (batches.error) {
        const hint = isAutotuneError(batches.error) ? batches.error.hint : undefined;
        this.fail({ reason: 'model', message: `inference failed: ${batches.error.message}`, ...(hint ? { hint } : {}) });
        this.stopAll();
      }
    }
    const summary = await decoder.done;
    this.decoderName = summary.decoder ?? this.decoderName;
    this.decoderNote = summary.decoderNote ?? this.decoderNote;
    if (summary.error && !this.budgetSpent && !this.stopped) this.fail(this.explain(summary.error));
    else if (!info && !this.stopped && !this.budgetSpent) {
      this.fail({ reason: 'decode', message: `the decoder reported no video stream (${summary.stderrTail.trim().split('\n').pop() ?? ''})` });
    }
  }

  /** A decode failure of something that is not an mp4 at all says what the server sent instead. */
  private explain(error: ChallengeError): ChallengeError {
    if (error.reason !== 'decode' || this.head.state !== 'not-mp4') return error;
    const type = this.download.contentType ? ` of ${this.download.contentType}` : '';
    const start = JSON.stringify(this.firstBytes.toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
    return {
      reason: 'decode',
      message: `${this.url} is not an mp4: the server sent ${this.download.bytes} bytes${type} starting ${start}`,
      hint: /html/i.test(this.download.contentType ?? '') ? 'check the URL: it should serve the mp4 itself, not a page about it' : 'check that the URL serves an H.264/H.265 mp4',
    };
  }

  /** Streaming only: end the input when the decoder has had every byte and none came for the buffer timeout. */
  private watchForStall(): void {
    const timeoutMs = this.s.streamBufferTimeoutS * 1000;
    const pollMs = Math.max(5, Math.min(50, timeoutMs / 4));
    let starvedSince: number | null = null;
    const tick = () => {
      if (this.download.finished || this.stopped) return;
      if (this.download.lastByteAt === null) {
        // Before the first byte the wait is connection and server latency: the idle timeout covers it.
        this.stallTimer = setTimeout(tick, pollMs);
        return;
      }
      // Waiting for STREAM_MIN_START_BYTES counts as starved too: the wait is for the network.
      const starved = this.inputOpenedAt === null || (this.input!.readableLength === 0 && this.input!.writableLength === 0);
      if (!starved) starvedSince = null;
      else {
        const now = performance.now();
        starvedSince ??= now;
        const silentSince = Math.max(starvedSince, this.download.lastByteAt);
        if (now - silentSince >= timeoutMs) {
          this.fail({
            reason: 'stall',
            message: `no bytes for ${this.s.streamBufferTimeoutS}s while the decoder waited (after ${this.download.bytes} bytes); answered with what was decoded`,
          });
          this.download.stop(this.error);
          return;
        }
      }
      this.stallTimer = setTimeout(tick, pollMs);
    };
    this.stallTimer = setTimeout(tick, pollMs);
  }

  /** When the connection that carried the download was ready: t0 for a warm pooled one. */
  private connectedAt(): number | null {
    const used = this.agent.lastUsed;
    if (used && used.readyAt !== null && this.agent.connections.indexOf(used) >= this.connectionsBefore) return used.readyAt;
    if (used && this.connectionsBefore > 0 && this.agent.connections.indexOf(used) < this.connectionsBefore) return this.clock.t0;
    return null;
  }

  private async result(outcome: DownloadOutcome | null): Promise<ChallengeDetail> {
    const answer = [...(this.batches?.answers ?? [])].sort((a, b) => a.frameNumber - b.frameNumber);
    const connected = this.connectedAt();
    if (connected !== null) this.clock.mark('connected', connected);
    if (outcome?.firstByteAt) this.clock.mark('firstByte', outcome.firstByteAt);
    const downloadUsable = outcome && outcome.bytes > 0 && (outcome.complete || outcome.error?.reason === 'stall' || (outcome.error === null));
    if (downloadUsable && outcome.endAt) this.clock.mark('downloadEnd', outcome.endAt);
    if (this.input) {
      if (this.inputOpenedAt !== null) this.clock.mark('decoderStart', this.inputOpenedAt);
    } else if (this.decoder) {
      this.clock.mark('decoderStart', this.decoder.marks.started ?? this.decoder.marks.requested);
    }
    if (this.decoder?.marks.firstFrame) this.clock.mark('firstFrame', this.decoder.marks.firstFrame);
    let framesInVideo = this.head.info?.frameCount ?? null;
    if (framesInVideo === null && this.filePath && outcome?.complete && this.prefixIsWholeFile()) {
      framesInVideo = await inspectMp4(this.filePath).then((i) => i.frameCount, () => null);
    }
    if (outcome?.complete && this.prefixIsWholeFile() && this.head.info) this.checkWhole(this.head.info, outcome.bytes);
    this.clock.mark('total');
    const t = this.clock.timeline();
    const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(0, a - b));
    return {
      url: this.spec.url,
      config: this.spec.config,
      timeline: t,
      bytes: outcome?.bytes ?? this.download.bytes,
      protocol: this.agent.lastUsed?.protocol ?? null,
      framesDecoded: this.framesDecoded,
      framesAnswered: answer.length,
      framesInVideo,
      provider: this.spec.detector.provider,
      decoder: this.decoderName,
      answer,
      accuracy: null,
      coverage: framesInVideo ? answer.length / framesInVideo : null,
      truthF1: null,
      sn44: null,
      error: this.error,
      stages: {
        connect: t.connected,
        wait: diff(t.firstByte, t.connected ?? 0),
        download: diff(t.downloadEnd, t.firstByte),
        decode:
          this.lastDecodedAt !== null && t.decoderStart !== null
            ? diff(this.clock.elapsed(this.lastDecodedAt) - this.blockedMs / 1000, t.decoderStart)
            : null,
        infer: this.batches ? this.batches.busyMs / 1000 : null,
      },
      decoderNote: this.decoderNote,
      etag: outcome?.etag ?? null,
      fileSize: outcome?.fileSize ?? null,
      finalUrl: outcome && outcome.redirects.length > 0 ? outcome.finalUrl : null,
      redirects: outcome?.redirects ?? [],
      frameSize: this.frameSize,
    };
  }

  /** A whole file that ends before the media its moov indexes is truncated: the missing frames are a failure. */
  private checkWhole(info: Mp4Info, bytes: number): void {
    const needed = info.bytesForFrames(info.frameCount);
    if (needed <= bytes) return;
    const present = framesWithin(info, bytes);
    this.fail({
      reason: 'decode',
      message: `${this.url} is truncated: the file has ${bytes} bytes but its moov indexes ${needed}; only ${present} of its ${info.frameCount} frames are whole`,
      hint: 'the server sends an incomplete file; upload the video again',
    });
  }
}

function rateText(bytesPerS: number): string {
  if (bytesPerS >= 1024 * 1024) return `${(bytesPerS / 1024 / 1024).toFixed(2)} MiB/s`;
  if (bytesPerS >= 1024) return `${(bytesPerS / 1024).toFixed(1)} KiB/s`;
  return `${bytesPerS.toFixed(0)} B/s`;
}
