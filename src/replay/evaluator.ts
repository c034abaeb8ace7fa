// The replay evaluator: a challenge of config C on video V returns one of the rows the table recorded
// for (C, V), so a study replays the recorded noise instead of an average.
//
// The draw: the rows of (C, V) are drawn without replacement, in an order shuffled by the study's seed
// (and C, V), the rows of one phase before those of the next (in the order the phases first appear
// among them, search before confirm in an export). A study that measures C on V as often per phase as
// the recorded one did gets exactly the recorded measurements back, so an exported study replayed with
// its own settings ranks its configs as it did. Once every row is drawn, the next round draws them all
// again in a fresh seeded order. A resumed study hands over what it measured before (resume), so its
// next draw of (C, V) is the one an uninterrupted study would have made.

import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { AutotuneError } from '../errors.js';
import { challengeResult } from '../pipeline/result.js';
import type { ChallengeError, ChallengeResult, Evaluator, FailureReason, VideoRef } from '../pipeline/types.js';
import { FAILURES, STOPS_STUDY } from '../pipeline/failure.js';
import { sn44FromQuality } from '../score/sn44.js';
import { configKey, createRng, type Config } from '../search/index.js';
import { describeConfig, type ReplayIndex } from './fit.js';
import type { ReplayRow } from './format.js';

/** What a config without rows does: stop the study with a typed error, or fail its challenges. */
export type ReplayMissing = 'error' | 'fail';

export interface ReplayEvaluatorOptions {
  seed: number;
  missing: ReplayMissing;
  /** t_min of the SN44 estimate, seconds (the estimate is rebuilt from sn44_quality at this t_min). */
  tMin: number;
}

export class ReplayEvaluator implements Evaluator {
  readonly switching = 'free' as const;
  private readonly draws = new Map<string, number>();
  private readonly orders = new Map<string, ReplayRow[]>();
  /** Challenges answered, and of them the ones from a config the table lacks (fail mode). */
  challenges = 0;
  missing = 0;

  constructor(
    private readonly index: ReplayIndex,
    private readonly options: ReplayEvaluatorOptions,
  ) {}

  async evaluate(config: Config, video: VideoRef): Promise<ChallengeResult> {
    // Nothing here waits on I/O (nor does a SQLite store): without a turn of the event loop per
    // challenge, a replay study would never see Ctrl-C.
    await yieldToEvents();
    return this.replay(config, video);
  }

  /** The same as evaluate, without a promise (benchmarks drive thousands of challenges). */
  replay(config: Config, video: VideoRef): ChallengeResult {
    this.challenges++;
    const key = configKey(config);
    const rows = this.index.cells.get(key)?.get(video.url);
    if (!rows) return this.noRows(config, key, video);
    const cell = cellOf(key, video.url);
    const n = this.draws.get(cell) ?? 0;
    this.draws.set(cell, n + 1);
    const round = Math.floor(n / rows.length);
    let order = this.orders.get(cell);
    if (!order || n % rows.length === 0) {
      order = drawOrder(rows, this.options.seed, key, video.url, round);
      this.orders.set(cell, order);
    }
    return this.resultOf(order[n % rows.length]!, config, video);
  }

  /** Draw counts from the study's measured challenges (they replace the counts so far). */
  resume(measured: readonly { config: Config; videoUrl: string }[]): void {
    this.draws.clear();
    this.orders.clear();
    for (const m of measured) {
      const cell = cellOf(configKey(m.config), m.videoUrl);
      this.draws.set(cell, (this.draws.get(cell) ?? 0) + 1);
    }
  }

  async close(): Promise<void> {}

  private noRows(config: Config, key: string, video: VideoRef): ChallengeResult {
    const { table, space } = this.index;
    const what = this.index.cells.has(key)
      ? `replay table ${table.file} has no row for video ${video.url} with config ${describeConfig(config, space)}`
      : `replay table ${table.file} has no row for config ${describeConfig(config, space)}`;
    if (this.options.missing === 'error') {
      throw new AutotuneError('E_REPLAY', what, {
        hint: 'replay the table with the space and videos it was measured on, or pass --replay-missing fail to count such configs as failed trials',
        context: { [STOPS_STUDY]: true },
      });
    }
    this.missing++;
    return challengeResult(video.url, config, { error: { reason: 'replay', message: what, hint: '--replay-missing fail counts a config the table lacks as failed' } });
  }

  private resultOf(row: ReplayRow, config: Config, video: VideoRef): ChallengeResult {
    const where = `${this.index.table.file} row ${row.row}`;
    let error: ChallengeError | null = null;
    if (row.failed) {
      const known = row.reason !== null && row.reason in FAILURES;
      error = known
        ? { reason: row.reason as FailureReason, message: `recorded as failed (${where})` }
        : { reason: 'replay', message: `recorded as failed (${where}${row.reason ? `, reason ${row.reason}` : ', no reason given'})` };
    }
    return challengeResult(video.url, config, {
      timeline: { total: row.total },
      accuracy: row.accuracy,
      coverage: row.coverage,
      sn44: replayedSn44(row, this.options.tMin),
      error,
    });
  }
}

/** A row's SN44 estimate at a t_min, rebuilt from its quality part; null for a failed challenge or without the column. */
export function replayedSn44(row: ReplayRow, tMin: number): number | null {
  return !row.failed && row.sn44Quality !== null && row.total !== null ? sn44FromQuality(row.sn44Quality, row.total, tMin) : null;
}

const cellOf = (key: string, video: string) => `${key}\u0000${video}`;

/** The rows of one (config, video) in the order a round draws them (see the top of this file). */
export function drawOrder(rows: readonly ReplayRow[], seed: number, key: string, video: string, round: number): ReplayRow[] {
  const rng = createRng(seed, textHash(key), textHash(video), round);
  if (round > 0) return rng.shuffle(rows);
  const phases = [...new Set(rows.map((r) => r.phase))];
  return phases.flatMap((phase) => rng.shuffle(rows.filter((r) => r.phase === phase)));
}

/** FNV-1a of a text, for seeding. */
function textHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
