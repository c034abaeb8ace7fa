// The shapes that flow through one challenge. Success and failure share ChallengeResult: a failed
// challenge is data for the study, not an exception.

export type KnobValue = number | string | boolean;
/** Environment-variable name of a knob -> its value. */
export type Config = Record<string, KnobValue>;

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
  | 'reset' // the connection was reset mid-body
  | 'http-status' // 4xx / 5xx
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
  | 'internal';

export interface ChallengeError {
  reason: FailureReason;
  message: string;
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

/** Runs one challenge. The built-in pipeline is one; a remote miner or a replay are others. */
export interface Evaluator {
  evaluate(config: Config, video: VideoRef, signal?: AbortSignal): Promise<ChallengeResult>;
  close(): Promise<void>;
  /**
   * What changing the config between two challenges costs: 'free' (default) or 'restart' (a running
   * miner restarts for each new config), so a runner keeps a config's challenges together.
   */
  readonly switching?: 'free' | 'restart';
}
