// A status line for long waits on a terminal: shown once a wait passes SHOW_AFTER_S, rewritten in
// place at most once a second, and wiped before any other line is printed. Off when the stream is
// not a terminal (pipes and logs get the final result only).

import type { EvaluationProgress } from '../pipeline/evaluator.js';
import { bytes } from '../util/format.js';

const SHOW_AFTER_S = 1;
const EVERY_MS = 1000;

export interface WaitLine {
  progress(p: EvaluationProgress): void;
  /** Prints a line (with its newline) without breaking the status line. */
  log(line: string): void;
  clear(): void;
}

export function createWaitLine(stream: NodeJS.WriteStream = process.stderr): WaitLine {
  const tty = stream.isTTY === true;
  let shown = false;
  let lastAt = 0;
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    progress(p) {
      if (!tty || p.elapsedS < SHOW_AFTER_S) return;
      const now = Date.now();
      if (shown && now - lastAt < EVERY_MS) return;
      lastAt = now;
      const width = Math.max(40, (stream.columns || 100) - 1);
      stream.write(`\r\x1b[K${describeWait(p).slice(0, width)}`);
      shown = true;
    },
    log(line) {
      clear();
      stream.write(`${line}\n`);
    },
    clear,
  };
}

export function describeWait(p: EvaluationProgress): string {
  const of = p.expectedBytes === null ? '' : ` of ${bytes(p.expectedBytes)}`;
  const rate = p.bytesPerS === null ? '' : ` at ${bytes(p.bytesPerS)}/s`;
  const frames = p.framesDecoded > 0 ? `, ${p.framesDecoded} frames decoded` : '';
  return `autotune: ${p.phase} ${p.url}: ${p.elapsedS.toFixed(0)} s, ${bytes(p.bytes)}${of} downloaded${rate}${frames}`;
}
