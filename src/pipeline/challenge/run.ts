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
// - 'no-range' (a Range request answered 200), 'http-status' (>= 300), 'connect' (no connection),
//   'reset' (the connection broke): the download failed; decoding and inference stop at once and the
//   answer keeps only batches already inferred.
// - 'decode', 'nvdec-unavailable': from the decoder; 'model': the detector threw.
// - 'internal': aborted from outside, or the run's safety timeout (timeoutS) passed.
// The first failure wins; later ones (consequences) are not recorded.

import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { inspectMp4 } from '../container/index.js';
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
  /** The video's frame size in pixels, once the decoder has seen the stream. */
  frameSize: { width: number; height: number } | null;
}

const FATAL: ReadonlySet<ChallengeError['reason']> = new Set(['no-range', 'http-status', 'connect', 'reset', 'moov-not-in-prefix', 'internal']);

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
    this.head.push(chunk);
    if (this.head.state === 'moov-after-mdat' && (this.s.chunkedStreaming || !this.prefixIsWholeFile())) {
      this.fail({
        reason: 'moov-not-in-prefix',
        message: `the mp4's moov atom comes after its media data, so it cannot be decoded from a ${this.s.chunkedStreaming ? 'stream' : 'prefix'}`,
      });
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
    this.timers.push(setTimeout(() => this.spendBudget(), budget * 1000));
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
        this.fail({ reason: 'model', message: `inference failed: ${batches.error.message}` });
        this.stopAll();
      }
    }
    const summary = await decoder.done;
    this.decoderName = summary.decoder ?? this.decoderName;
    this.decoderNote = summary.decoderNote ?? this.decoderNote;
    if (summary.error && !this.budgetSpent && !this.stopped) this.fail(summary.error);
    else if (!info && !this.stopped && !this.budgetSpent) {
      this.fail({ reason: 'decode', message: `the decoder reported no video stream (${summary.stderrTail.trim().split('\n').pop() ?? ''})` });
    }
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
      frameSize: this.frameSize,
    };
  }
}
