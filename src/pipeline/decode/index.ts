export { startDecoder } from './decoder.js';
export { probeNvdec, cachedNvdecProbe, type NvdecProbe } from './nvdec.js';
export { buildFilterChain, buildFfmpegArgs, type GpuChain, type FilterSpec } from './filters.js';
export { parseVideoStreamLine, type StreamDescription } from './stderr.js';
export type {
  Decoder,
  DecodeOptions,
  DecodeInput,
  DecodedFrame,
  DecodeInfo,
  DecodeMarks,
  DecodeSummary,
  DecodeError,
  DecodeErrorReason,
} from './types.js';
