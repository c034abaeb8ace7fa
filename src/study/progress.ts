// Progress of a study: a bar on a terminal (trial i/N, ETA, best so far), plain lines otherwise.

import cliProgress from 'cli-progress';
import type { RunnerEvents } from './runner.js';

export interface ProgressOptions {
  tty: boolean;
  objective: 'fastest-safe' | 'sn44';
  write?: (line: string) => void;
}

export interface Progress {
  events: RunnerEvents;
  /** Prints a line without breaking the bar. */
  log(line: string): void;
  stop(): void;
}

export function createProgress(options: ProgressOptions): Progress {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const unit = (v: number | null | undefined) =>
    v === null || v === undefined ? '-' : options.objective === 'sn44' ? v.toFixed(3) : `${v.toFixed(3)} s`;
  let bar: cliProgress.SingleBar | null = null;
  let best = '-';
  let started = Date.now();

  const log = (line: string) => {
    if (bar) bar.stop();
    write(line);
    if (bar) bar.start(bar.getTotal(), (bar as unknown as { value: number }).value, { best });
  };

  const events: RunnerEvents = {
    trialStart({ trial, index, planned }) {
      if (index === 1) started = Date.now();
      if (options.tty && planned !== null && !bar) {
        bar = new cliProgress.SingleBar(
          { format: 'trial {value}/{total} |{bar}| ETA {eta_formatted} | best {best}', hideCursor: true, clearOnComplete: true, etaBuffer: 5 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(planned, 0, { best });
      }
      if (!options.tty) {
        const of = planned === null ? '' : `/${planned}`;
        write(`trial ${trial.number} (${index}${of})${trial.baseline ? ` baseline ${trial.baseline}` : ''} started`);
      }
    },
    trialEnd({ trial, figures, best: b }) {
      best = b ? `${unit(b.value)} (trial ${b.number})` : '-';
      const status =
        trial.state === 'FAIL'
          ? `FAIL: ${trial.reason}`
          : `${figures.feasible ? 'feasible' : `infeasible: ${figures.why}`}, value ${unit(figures.value)}, accuracy ${figures.accuracy?.toFixed(3) ?? '-'}`;
      if (bar) {
        bar.increment(1, { best });
      } else {
        const elapsed = ((Date.now() - started) / 1000).toFixed(0);
        write(`trial ${trial.number} done: ${status} | best ${best} | ${elapsed} s elapsed`);
      }
    },
    raceStart({ trials, repeats, challenges }) {
      if (bar) {
        bar.stop();
        bar = null;
      }
      write(
        `confirmation race: trials ${trials.map((t) => t.number + (t.baseline ? ` (${t.baseline})` : '')).join(', ')}, ` +
          `${repeats} repeats, ${challenges} challenges`,
      );
    },
    message: (line) => log(line),
  };
  return {
    events,
    log,
    stop() {
      if (bar) bar.stop();
      bar = null;
    },
  };
}
