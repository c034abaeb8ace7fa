// Below the confirmation race's survivors, the trials the race dropped (the outpaced control among
// them) and those it did not measure are ranked together by their value against the control, which is
// measured in the search and in the race: a trial's place does not depend on whether the search put it
// third (raced) or fourth (not raced).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/pipeline/types.js';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { runCli } from '../helpers/cli.js';
import { runControlledStudy } from './fixtures/controlled-study.js';

/** Seconds per challenge on a steady host (a little noise, so the race's test has something to rank). */
const TRUE: Record<string, number> = { CTRL: 2, A: 1, B: 1.2, C: 1.25, D: 1.3 };
const time = (c: Config, _v: { url: string }, _call: number, tick: number) => TRUE[String(c.NAME)]! * (1 + ((tick * 7) % 5) / 1000);

describe('the ranking below the race', () => {
  it('orders raced and unraced trials by their value against the control', async () => {
    const { result, db } = await runControlledStudy({
      names: ['A', 'B', 'C', 'D'],
      time,
      policy: { repeats: { kind: 'fixed', repeats: 1 }, racing: DEFAULT_RACE, confirmTop: 2, confirmRepeats: 3 },
    });
    expect(result.raced.length).toBe(3); // A, B and the control
    const order = result.ranking.map((r) => String(r.params.NAME));
    // C and D (not raced, 0.63x and 0.65x the control) come before the control (1x), whatever its phase.
    expect(order).toEqual(['A', 'B', 'C', 'D', 'CTRL']);
    const controlValues = result.ranking.slice(1).map((r) => r.controlValue!);
    expect([...controlValues].sort((x, y) => x - y)).toEqual(controlValues);
    expect(result.winner?.params.NAME).toBe('A');
    // `trials` says why a search row can rank above a race row.
    const trials = await runCli(['trials', '--db', db]);
    expect(trials.exitCode, trials.stderr).toBe(0);
    expect(trials.stdout).toMatch(/^below the race's survivors, trials raced or not are ranked by their value against the control/m);
  });
});
