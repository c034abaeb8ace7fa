// The decode stage: one ffmpeg subprocess turns an mp4 (file or byte stream) into letterboxed SxS
// rgb24 frames, every Nth frame, each tagged with the video's own frame index. Frames are read
// ahead up to a bound, then ffmpeg is paused by back-pressure, so memory holds at most
// readAheadFrames frames whatever the video's length.
//
// Source size: when the caller knows it (e.g. from inspectMp4 of the file) the filter gets literal
// sizes; otherwise the filter computes the letterbox from the stream itself (see filters.ts), so
// spawning never waits for a probe, and `info` reports the size from ffmpeg's stream line on stderr,
// which ffmpeg prints before its first frame. The frames loop waits for `info` before its first
// frame, so `info` is always resolved by the time a frame is seen.

import { execa, type ResultPromise } from 'execa';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import { letterbox } from '../letterbox.js';
import { classifyExit } from './classify.js';
import { buildFfmpegArgs, buildFilterChain, type GpuChain } from './filters.js';
import { FrameAssembler } from './frames.js';
import { cachedNvdecProbe, probeNvdec, type NvdecProbe } from './nvdec.js';
import { normalizeDecodeOptions, type NormalizedDecodeOptions } from './options.js';
import { StderrWatcher, type StreamDescription } from './stderr.js';
import type { DecodedFrame, DecodeInfo, DecodeMarks, DecodeOptions, DecodeSummary, Decoder } from './types.js';

const HEAD_BYTES = 64 * 1024;

/** Starts decoding now (after a cached-once NVDEC probe when nvdec is asked for). */
export function startDecoder(options: DecodeOptions): Decoder {
  const session = new DecodeSession(normalizeDecodeOptions(options));
  return session.decoder;
}

class DecodeSession {
  readonly marks: DecodeMarks = { requested: performance.now(), started: null, firstFrame: null };
  readonly decoder: Decoder;
  private readonly queue: Buffer[] = [];
  private readonly assembler: FrameAssembler;
  private framesOut = 0;
  private outputEnded = false;
  private stoppedBy: 'stop' | 'abort' | null = null;
  private iterating = false;
  private wake: (() => void) | null = null;
  private proc: ResultPromise | null = null;
  private paused = false;
  private gpu: GpuChain = 'none';
  private decoderNote: string | null = null;
  private head: Buffer[] = [];
  private headBytes = 0;
  private bytesIn = 0;
  private resolveInfo!: (info: DecodeInfo | null) => void;
  private infoSettled = false;
  private readonly watcher = new StderrWatcher((s) => this.onStream(s));

  constructor(private readonly o: NormalizedDecodeOptions) {
    this.assembler = new FrameAssembler(o.size * o.size * 3);
    const info = new Promise<DecodeInfo | null>((resolve) => {
      this.resolveInfo = resolve;
    });
    const done = this.run();
    this.decoder = {
      frames: { [Symbol.asyncIterator]: () => this.iterate() },
      info,
      marks: this.marks,
      done,
      stats: () => ({ framesOut: this.framesOut, queued: this.queue.length }),
      stop: () => this.stop('stop'),
    };
    if (o.signal) {
      const onAbort = () => this.stop('abort');
      if (o.signal.aborted) onAbort();
      else {
        o.signal.addEventListener('abort', onAbort, { once: true });
        void done.then(() => o.signal!.removeEventListener('abort', onAbort));
      }
    }
  }

  private async run(): Promise<DecodeSummary> {
    if (this.o.nvdec) {
      const probe: NvdecProbe = cachedNvdecProbe(this.o.ffmpeg) ?? (await probeNvdec(this.o.ffmpeg));
      if (probe.usable && probe.chain) {
        this.gpu = probe.chain;
      } else if (this.o.nvdecFallback) {
        this.decoderNote = `NVDEC requested but not usable, decoding in software: ${probe.reason}`;
      } else {
        return this.finishWithout({ reason: 'nvdec-unavailable', message: `NVDEC requested but not usable: ${probe.reason}` });
      }
    }
    if (this.stoppedBy) return this.finishWithout(null);
    return this.spawnAndWait();
  }

  private async spawnAndWait(): Promise<DecodeSummary> {
    const { o } = this;
    const filter = buildFilterChain({
      size: o.size,
      stride: o.stride,
      letterbox: o.src ? letterbox(o.src.width, o.src.height, o.size) : null,
      gpu: this.gpu,
    });
    const args = buildFfmpegArgs({ path: o.path, filter, gpu: this.gpu, threads: o.threads });
    this.marks.started = performance.now();
    const proc = execa(o.ffmpeg.path, args, {
      stdin: o.stream ? 'pipe' : 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
    });
    this.proc = proc;
    const stdout = proc.stdout!;
    stdout.on('data', (chunk: Buffer) => {
      if (this.stoppedBy) return;
      this.assembler.push(chunk, (frame) => this.enqueue(frame));
    });
    proc.stderr!.on('data', (chunk: Buffer) => this.watcher.push(chunk));
    const detach = o.stream ? this.pipeInput(proc) : () => {};

    const [result] = await Promise.all([
      proc,
      finished(stdout).catch(() => undefined),
      finished(proc.stderr!).catch(() => undefined),
    ]);
    detach();
    this.outputEnded = true;
    this.wakeConsumer();
    this.watcher.end();
    this.settleInfo();

    // exitCode and signal are both undefined only when ffmpeg could not be started at all.
    const spawnError =
      result.exitCode === undefined && result.signal === undefined && !this.stoppedBy
        ? `could not run ${o.ffmpeg.path}: ${result.originalMessage || result.shortMessage}`
        : null;
    const head = o.stream
      ? { bytes: Buffer.concat(this.head), fileSize: this.bytesIn }
      : await readHead(o.path!);
    const verdict = classifyExit({
      framesOut: this.framesOut,
      exitCode: result.exitCode ?? null,
      stopped: this.stoppedBy,
      moovNotFound: this.watcher.moovNotFound,
      partialFile: this.watcher.partialFile,
      invalidData: this.watcher.invalidData,
      streamSeen: this.watcher.stream !== null,
      noVideoStream: this.watcher.noVideoStream,
      prefixLike: o.stream !== null || o.prefix,
      gpu: this.gpu !== 'none',
      // ffmpeg names a downloaded file by its temp path; the user knows it by its label (the URL).
      lastErrorLine: spawnError ?? (o.path ? this.watcher.lastErrorLine()?.split(o.path).join(o.label) ?? null : this.watcher.lastErrorLine()),
      head: head.bytes,
      inputBytes: head.fileSize,
      label: o.label,
    });
    return {
      framesOut: this.framesOut,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stopped: this.stoppedBy,
      moovMissing: verdict.moovMissing,
      bytesIn: o.stream ? this.bytesIn : null,
      decoder: this.decoderName(),
      decoderNote: this.decoderNote,
      error: verdict.error,
      stderrTail: this.watcher.tailText(),
    };
  }

  // Pipes the caller's stream into ffmpeg, keeping the first bytes (to explain a missing moov).
  // The caller may end the stream early to cut the input; an error or premature close ends it too.
  private pipeInput(proc: ResultPromise): () => void {
    const source = this.o.stream!;
    const stdin = proc.stdin!;
    stdin.on('error', () => undefined); // EPIPE once ffmpeg has exited or been stopped
    const onData = (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      if (this.headBytes < HEAD_BYTES) {
        const piece = chunk.subarray(0, HEAD_BYTES - this.headBytes);
        this.head.push(Buffer.from(piece));
        this.headBytes += piece.length;
      }
    };
    const endInput = () => stdin.end();
    source.on('data', onData);
    source.once('error', endInput);
    source.once('close', endInput);
    source.pipe(stdin);
    return () => {
      source.unpipe(stdin);
      source.off('data', onData);
      source.off('error', endInput);
      source.off('close', endInput);
    };
  }

  private enqueue(frame: Buffer): void {
    if (this.framesOut === 0) this.marks.firstFrame = performance.now();
    this.framesOut += 1;
    this.queue.push(frame);
    if (this.queue.length >= this.o.readAheadFrames && !this.paused) {
      this.paused = true;
      this.proc?.stdout?.pause();
    }
    this.wakeConsumer();
  }

  private async *iterate(): AsyncGenerator<DecodedFrame> {
    if (this.iterating) throw new Error('decoder frames can be iterated only once');
    this.iterating = true;
    let k = 0;
    try {
      for (;;) {
        if (this.stoppedBy) return;
        const data = this.queue.shift();
        if (data) {
          if (this.paused && this.queue.length < this.o.readAheadFrames / 2) {
            this.paused = false;
            this.proc?.stdout?.resume();
          }
          if (k === 0) await this.decoder.info; // the stream line precedes the first frame in ffmpeg's output
          yield { index: k * this.o.stride, data };
          k += 1;
          continue;
        }
        if (this.outputEnded) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      if (!this.outputEnded) this.stop('stop');
    }
  }

  private stop(by: 'stop' | 'abort'): void {
    if (this.stoppedBy || this.outputEnded) return;
    this.stoppedBy = by;
    this.queue.length = 0;
    if (this.proc) {
      this.proc.kill('SIGKILL');
      this.proc.stdout?.resume(); // drain what is left so the pipe closes
    }
    this.wakeConsumer();
  }

  private wakeConsumer(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private onStream(s: StreamDescription): void {
    if (this.infoSettled) return;
    this.infoSettled = true;
    const src = this.o.src ?? { width: s.width, height: s.height };
    this.resolveInfo({
      srcWidth: src.width,
      srcHeight: src.height,
      fps: s.fps,
      codec: s.codec,
      decoder: this.decoderName(s.codec) ?? s.codec,
      decoderNote: this.decoderNote,
      letterbox: letterbox(src.width, src.height, this.o.size),
    });
  }

  private settleInfo(): void {
    if (this.infoSettled) return;
    this.infoSettled = true;
    this.resolveInfo(null);
  }

  private decoderName(codec = this.watcher.stream?.codec): string | null {
    if (!codec) return null;
    return this.gpu === 'none' ? `${codec} (software)` : `${codec} (nvdec)`;
  }

  private finishWithout(error: DecodeSummary['error']): DecodeSummary {
    this.outputEnded = true;
    this.wakeConsumer();
    this.settleInfo();
    return {
      framesOut: 0,
      exitCode: null,
      signal: null,
      stopped: this.stoppedBy,
      moovMissing: false,
      bytesIn: null,
      decoder: null,
      decoderNote: this.decoderNote,
      error,
      stderrTail: '',
    };
  }
}

async function readHead(path: string): Promise<{ bytes: Uint8Array | null; fileSize: number | null }> {
  try {
    const handle = await open(path, 'r');
    try {
      const fileSize = (await handle.stat()).size;
      const bytes = Buffer.alloc(Math.min(HEAD_BYTES, fileSize));
      await handle.read(bytes, 0, bytes.length, 0);
      return { bytes, fileSize };
    } finally {
      await handle.close();
    }
  } catch {
    return { bytes: null, fileSize: null };
  }
}
