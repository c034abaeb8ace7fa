// The shapes that flow through one challenge. Success and failure share ChallengeResult: a failed
// challenge is data for the study, not an exception.

import type { Config, KnobNames, Space } from '../search/space/types.js';

// Configs are the search layer's currency; the pipeline's modules import them from here.
export type { Config, KnobNames, KnobValue } from '../search/space/types.js';

/** Seconds from the challenge's start (t0); null when the stage was never reached. */
export interface Timeline {
  connected: number | null;
  firstByte: number | null;
  downloadEnd: number | null;
  decoderStart: number | null;
  firstFrame: number | null;
  firstBatch: number | null;
  lastFrame: number | null;
  total: number | null;
}

/** A detection in original-frame pixels. */
export interface Detection {
  bbox: [number, number, number, number];
  classId: number;
  score: number;
}

/** The answer for one frame; `frameNumber` is the video's own frame index. */
export interface FrameAnswer {
  frameNumber: number;
  objects: Detection[];
}

export type FailureReason =
  | 'moov-not-in-prefix' // the moov atom is not in the downloaded prefix / not before mdat when streaming
  | 'stall' // no bytes for longer than the buffer timeout
  | 'too-slow' // at its measured rate the download cannot finish within the challenge's timeout
  | 'reset' // the connection was reset mid-body
  | 'http-status' // 4xx / 5xx, a redirect not followed, or an empty body
  | 'no-range' // a Range request was answered without 206
  | 'decode' // ffmpeg failed for another reason
  | 'nvdec-unavailable' // USE_NVDEC=1 on a host without NVDEC
  | 'model' // the model could not run
  | 'connect' // the connection could not be opened
  // A miner measured from outside (src/miner): its reply, and its restarts.
  | 'answer-schema' // the reply is not the protocol's JSON (shape, challenge_id, class ids, keypoints)
  | 'answer-frames' // the reply does not fit the video (frame numbers past its end, boxes outside the frame)
  | 'timeout' // no complete reply within the protocol's HTTP timeout (or the command's)
  | 'miner-down' // the miner refused or dropped the connection
  | 'miner-restart' // the miner did not come back ready with the trial's values
  | 'command-exit' // the target-runner command exited non-zero
  | 'replay' // a replay table has no row for the config (--replay-missing fail), or recorded a failure without its reason
  | 'internal';

export interface ChallengeError {
  reason: FailureReason;
  /** Names the input (the URL, the model) and what happened. */
  message: string;
  /** What the user can do about it, when the failure says (e.g. --ca for an untrusted certificate). */
  hint?: string;
}

export type Protocol = 'h2' | 'http/1.1';

export interface ChallengeResult {
  url: string;
  config: Config;
  timeline: Timeline;
  bytes: number;
  protocol: Protocol | null;
  framesDecoded: number;
  framesAnswered: number;
  framesInVideo: number | null;
  provider: string | null; // onnxruntime execution provider actually used ('cpu', 'cuda', ...)
  decoder: string | null; // e.g. 'h264 (software)', 'h264_cuvid'
  answer: FrameAnswer[];
  /** F1 against the video's reference answer over all frames; null when no reference. */
  accuracy: number | null;
  /** framesAnswered / framesInVideo. */
  coverage: number | null;
  /** F1 against ground truth (lab clips only). */
  truthF1: number | null;
  /** Estimate of the validator's score (see src/score/sn44.ts). */
  sn44: number | null;
  error: ChallengeError | null;
  /**
   * Seconds from the restart that switched a miner to this config until it answered again; null (or
   * absent) when no restart preceded the challenge. Never part of the challenge's own time.
   */
  setupS?: number | null;
  /** Hash of the answer as the validator would compare it (reproducibility across repeats); null when none. */
  answerHash?: string | null;
}

/** What a challenge measured, without its identity (URL, config) and its answer: what gets stored. */
export type ChallengeFigures = Omit<ChallengeResult, 'url' | 'config' | 'answer'>;

/** A sample video as the study knows it. */
export interface VideoRef {
  url: string;
  /** Ground truth file for lab clips, if known. */
  truthPath?: string;
}

/**
 * Runs one challenge. The built-in pipeline is one; a running miner, a command or a replay are others.
 * A failed challenge is a result with `error`, never a rejection (a rejection is recorded as a failed
 * challenge, 'internal' unless it is a typed error). The one exception is a typed error that says the
 * study cannot go on (`stopsStudy` in failure.ts, e.g. a replay table without the config): the study
 * stops with it.
 */
export interface Evaluator {
  evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeResult>;
  close(): Promise<void>;
  /**
   * What changing the config between two challenges costs: 'free' (default) or 'restart' (a running
   * miner restarts for each new config), so a runner keeps a config's challenges together.
   */
  readonly switching?: 'free' | 'restart';
  /**
   * Before a study runs its next challenge: the challenges this host has already measured in it. An
   * evaluator whose answers depend on what it answered before (a replay's draws) carries on from
   * there, so a resumed study goes on as if it had never stopped.
   */
  resume?(measured: readonly { config: Config; videoUrl: string }[]): void;
  /**
   * The configs a study goes on taking turns with from now on (its control; then its confirmation
   * race's contenders), replacing those named before. An evaluator that closes what a config needs to
   * bound its memory (the pipeline's detectors) opens theirs now and keeps them open: one closed and
   * opened again makes its next challenge slower, a cost no miner serving one config pays.
   */
  keepReady?(configs: readonly Config[]): Promise<void>;
}

/** What a study session hands the evaluator it creates. */
export interface EvaluatorContext {
  /** The space's reference config: the accuracy yardstick runs exactly this config. */
  reference: Config;
  /** Extra trusted CA (PEM text), e.g. the lab server's certificate. */
  ca: string | undefined;
  /** t_min of the SN44 estimate, seconds. */
  tMin: number;
  /** Where reference answers are kept between runs (the study's store). */
  references: { get(key: string): Promise<unknown | null>; put(key: string, value: unknown): Promise<void> };
  /** The study's videos (a miner's references are made together, before its first challenge). */
  videos: readonly VideoRef[];
  log(line: string): void;
}

/**
 * Makes the evaluator a study session drives, and declares what the session must know about it. Its
 * knobs are known before anything is opened, so a space naming a knob the evaluator does not
 * understand is refused before any challenge runs.
 */
export interface EvaluatorFactory<E extends Evaluator = Evaluator> {
  /** Names the evaluator in messages, e.g. "the built-in pipeline". */
  readonly name: string;
  readonly knobs: KnobNames;
  /** Where its knob names come from when they are data, not code (a replay table's header): a misspelt name may be there. */
  readonly knobsFrom?: string;
  /** What the study records about the evaluator (e.g. the model file). */
  readonly settings: Record<string, unknown>;
  /**
   * Whether this host's decoder and model runtime run the challenges: the session then probes NVDEC
   * and CUDA here and pins the knobs this host cannot run. False when another program brings its own.
   */
  readonly probesHost: boolean;
  /**
   * How a --samples folder is served to the evaluator: 'https' (the lab server's CA is handed over in
   * the context) or 'http' (another process, which does not trust the lab's certificate).
   */
  readonly samplesOver: 'https' | 'http';
  /**
   * False when the evaluator's figures cannot follow the host's speed (a replay draws recorded rows: it
   * has no clock): a study then has no control unless --control names one.
   */
  readonly timed?: boolean;
  /**
   * First of all, before the host is probed: that the tools this evaluator runs on this host work at
   * all (the pipeline's decoder), saying which it checked. Throws a typed error to stop.
   */
  checkHost?(log: (line: string) => void): Promise<void>;
  /**
   * Before any server, store or video: the space as this evaluator can run it (e.g. a fixed-size
   * model export pins IMG_SIZE), or a typed error when it cannot run at all (an unreadable model).
   */
  fitSpace?(space: Space, log: (line: string) => void): Promise<Space>;
  create(context: EvaluatorContext): Promise<E>;
  /**
   * After the evaluator is created and before the study is: a check on the first video that the
   * evaluator's answers can be ranked at all (e.g. the model check). Throws a typed error to stop.
   */
  preflight?(evaluator: E, video: VideoRef, signal: AbortSignal, log: (line: string) => void): Promise<void>;
}
