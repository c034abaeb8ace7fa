// Progress of a whole study, counted in challenges (trials, control rounds and the confirmation race
// included, re-estimated as trials stop early): a bar on a terminal, plain lines otherwise. Warnings
// (drift) are printed as they happen, whichever the mode.

import cliProgress from 'cli-progress';
import type { TrialVerdict } from '../store/types.js';
import type { RunnerEvents } from './runner.js';
import { count } from '../util/format.js';
import { unracedLine } from './notes.js';

export interface ProgressOptions {
  tty: boolean;
  objective: 'fastest-safe' | 'sn44';
  write?: (line: string) => void;
  /** Where warnings go (default: `write`). */
  warn?: (line: string) => void;
}

export interface Progress {
  events: RunnerEvents;
  /** Prints a line without breaking the bar. */
  log(line: string): void;
  stop(): void;
}

/** How a trial's measuring ended, in words (empty when it ran as planned). */
export function describeVerdict(v: TrialVerdict | null): string {
  if (!v) return '';
  const of = `${v.challenges}/${v.planned} challenges`;
  switch (v.kind) {
    case 'precise':
      return `precise after ${v.repeats} repeat(s) (${of})`;
    case 'clear-loser':
      return `${v.repeats > 1 ? `repeated ${v.repeats} times, then` : 'not repeated,'} behind the best on its ${v.repeats > 1 ? '' : 'first '}${v.challenges === 1 ? 'challenge' : `${v.challenges} challenges`}: ${v.ratio?.toFixed(2)}x trial ${v.vs}${v.normalised ? ' (control-normalised)' : ''} (${of})`;
    case 'infeasible':
      return `stopped early, cannot become feasible (${of})`;
    case 'race':
      return `dropped by the race: worse than trial ${v.vs}, p = ${v.p?.toPrecision(2)} (${of})`;
    case 'interrupted':
      return `interrupted (${of})`;
    default:
      return '';
  }
}

export function createProgress(options: ProgressOptions): Progress {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const warn = options.warn ?? write;
  const unit = (v: number | null | undefined) =>
    v === null || v === undefined ? '-' : options.objective === 'sn44' ? v.toFixed(3) : `${v.toFixed(3)} s`;
  let bar: cliProgress.SingleBar | null = null;
  let best = '-';
  let what = 'starting';
  let started = Date.now();
  let raceRound = 0;
  let raceRounds = 0;

  const log = (line: string, to = write) => {
    if (bar) bar.stop();
    to(line);
    if (bar) bar.start(bar.getTotal(), (bar as unknown as { value: number }).value, { best, what });
  };

  const events: RunnerEvents = {
    progress({ done, total }) {
      if (!options.tty) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: '{what} |{bar}| {value}/{total} challenges | ETA {eta_formatted} | best {best}',
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(total, done), done, { best, what });
        return;
      }
      bar.setTotal(Math.max(total, done));
      bar.update(done, { best, what });
    },
    trialStart({ trial, index, planned }) {
      if (index === 1) started = Date.now();
      const of = planned === null ? '' : `/${planned}`;
      what = `trial ${trial.number} (${index}${of})${trial.baseline ? ` ${trial.baseline}` : ''}`;
      if (!options.tty) write(`trial ${trial.number} (${index}${of})${trial.baseline ? ` baseline ${trial.baseline}` : ''} started`);
    },
    trialEnd({ trial, figures, best: b, verdict }) {
      best = b ? `${unit(b.value)} (trial ${b.number})` : '-';
      const stopped = describeVerdict(verdict);
      const status =
        trial.state === 'FAIL'
          ? `FAIL: ${trial.reason}`
          : trial.state === 'PRUNED'
            ? stopped
            : `${figures.feasible ? 'feasible' : `infeasible: ${figures.why}`}, value ${unit(figures.value)}, accuracy ${figures.accuracy?.toFixed(3) ?? '-'}` +
              (stopped ? `; ${stopped}` : '');
      if (!options.tty) {
        const elapsed = ((Date.now() - started) / 1000).toFixed(0);
        write(`trial ${trial.number} done: ${status} | best ${best} | ${elapsed} s elapsed`);
      } else if (trial.state === 'PRUNED') log(`trial ${trial.number}: ${status}`);
    },
    controlRound({ round, challenges }) {
      what = `control round ${round}`;
      if (!options.tty) write(`control round ${round} done (${count(challenges, 'challenge')})`);
    },
    raceStart({ trials, repeats, challenges, unraced }) {
      raceRounds = repeats;
      raceRound = 1;
      what = `race round 1/${repeats}`;
      log(
        `confirmation race: trials ${trials.map((t) => t.number + (t.baseline ? ` (${t.baseline})` : '')).join(', ')}, ` +
          `up to ${repeats} rounds, up to ${challenges} challenges`,
      );
      if (unraced.length > 0) log(unracedLine(unraced.map(({ trial }) => ({ number: trial.number, baseline: trial.baseline! }))));
    },
    raceDrop({ round, dropped }) {
      raceRound = round + 1;
      what = `race round ${Math.min(raceRound, raceRounds)}/${raceRounds}`;
      for (const d of dropped) log(`race round ${round}: trial ${d.trial.number}${d.trial.baseline ? ` (${d.trial.baseline})` : ''} dropped, worse than trial ${d.vs} (p = ${d.p.toPrecision(2)}, Holm-adjusted)`);
    },
    challenge({ phase, repeat }) {
      if (phase === 'confirm' && repeat !== raceRound) {
        raceRound = repeat;
        what = `race round ${repeat}/${raceRounds}`;
      }
    },
    drift: ({ line }) => log(line, warn),
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
