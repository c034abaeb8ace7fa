import type { Timeline } from '../pipeline/types.js';
import type { StageBreakdown } from './model.js';

// The stages of a challenge as consecutive segments of its critical path. Download, decode and
// inference overlap when streaming; this view charges each second to the stage the answer was
// waiting on: until the connection, until the first byte, until the decoder could start, until the
// first decoded frame, until the last frame was answered, and the rest (assembling the answer).
export function stageBreakdown(t: Timeline): StageBreakdown | null {
  if (t.total === null) return null;
  const marks = [t.connected, t.firstByte, t.decoderStart, t.firstFrame, t.lastFrame, t.total];
  let previous = 0;
  const segments = marks.map((mark) => {
    const at = mark === null ? previous : Math.max(previous, mark);
    const length = at - previous;
    previous = at;
    return length;
  });
  const [connect, firstByte, download, decode, inference, wait] = segments as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { connect, firstByte, download, decode, inference, wait };
}

export const STAGE_NAMES: readonly (keyof StageBreakdown)[] = [
  'connect',
  'firstByte',
  'download',
  'decode',
  'inference',
  'wait',
];

export const STAGE_LABELS: Record<keyof StageBreakdown, string> = {
  connect: 'connect',
  firstByte: 'first byte',
  download: 'download',
  decode: 'decode',
  inference: 'inference',
  wait: 'wait',
};

/** Median of each segment over several breakdowns. */
export function medianBreakdown(items: readonly StageBreakdown[]): StageBreakdown | null {
  if (items.length === 0) return null;
  const median = (values: number[]) => {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  const out = {} as StageBreakdown;
  for (const name of STAGE_NAMES) out[name] = median(items.map((i) => i[name]));
  return out;
}
