// The confirmation race's contenders once the host's speed changed under the search. The host turns
// 3x slower just before a control round: the trials measured quietly just before it sit nearer to that
// (slow) round than to the control's quiet start, so against the nearest control they look 3x faster
// than they are, and the best config, measured after the change, looks only as good as it is. Read
// against the control on either side, the change shows: the race takes the best read against them,
// and those that could beat it read in their favour.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/pipeline/types.js';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { runControlledStudy } from './fixtures/controlled-study.js';

const length: Record<string, number> = { 'https://lab/v1.mp4': 1, 'https://lab/v2.mp4': 1.5 };
/** Seconds on a quiet host, per unit of video length: BEST is the fastest, T4 and T5 next. */
const TRUE: Record<string, number> = { CTRL: 2, T1: 2.2, T2: 2.4, T3: 2.3, T4: 1.5, T5: 1.6, BEST: 1, T7: 2.5, T8: 2.6 };
/** Ticks: CTRL 0-1, T1..T5 2-11, the first control round 12-13 (10 challenges since the control), then BEST. */
const SLOW_FROM = 12;
const time = (c: Config, v: { url: string }, _call: number, tick: number) => TRUE[String(c.NAME)]! * length[v.url]! * (tick >= SLOW_FROM ? 3 : 1);

describe('race contenders after a change of speed between control rounds', () => {
  it('sends the config that is best at either reading to the race, which crowns it', async () => {
    const { result, trials } = await runControlledStudy({
      names: ['T1', 'T2', 'T3', 'T4', 'T5', 'BEST', 'T7', 'T8'],
      time,
      policy: { repeats: { kind: 'fixed', repeats: 1 }, racing: DEFAULT_RACE, confirmTop: 2, confirmRepeats: 3 },
    });
    const name = (n: number) => trials.find((t) => t.number === n)!.params.NAME;
    expect(result.analysis.drift.detected).toBe(true);
    // Against the nearest control, T4 and T5 (quiet, just before the slow round) are the top two;
    // against the quiet control before them they are 0.75x and 0.8x it, behind BEST's 0.5x. Read
    // against the slow round they (and T1 to T3) could beat BEST: the race takes them too, up to
    // twice --confirm-top, the closest first.
    const raced = result.raced.map(name);
    expect(raced).toEqual(expect.arrayContaining(['BEST', 'T4', 'T5', 'CTRL']));
    expect(raced.filter((n) => n !== 'CTRL')).toHaveLength(4);
    expect(result.winner?.params.NAME).toBe('BEST');
  });
});
