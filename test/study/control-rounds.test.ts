// When the control is measured during the search: after a whole interval of other configs'
// challenges (CONTROL_EVERY_ROUNDS rounds of the videos), counted from the control's last challenge.
// The control's own first trial is the control, not one of the challenges the interval counts.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { CONTROL_EVERY_ROUNDS } from '../../src/study/schedule.js';
import { CONTROLLED_VIDEOS as videos, runControlledStudy } from './fixtures/controlled-study.js';
import { FakeEvaluator } from './fixtures/fake-evaluator.js';

describe('control rounds of the search', () => {
  it('come after a whole interval of other challenges, the first one too', async () => {
    // Steady speeds: no drift, so the interval stays the quiet one. Each trial is 3 rounds of 2 videos.
    const { trials, measurements } = await runControlledStudy({
      names: ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7'],
      policy: { repeats: { kind: 'fixed', repeats: 3 }, racing: { ...DEFAULT_RACE, enabled: false }, confirmTop: 0, confirmRepeats: 0 },
    });
    const control = trials.find((t) => t.baseline === 'CTRL')!;
    const measured = [...measurements].sort((a, b) => a.id - b.id);
    const gaps: number[] = [];
    let since = 0;
    for (const [i, m] of measured.entries()) {
      if (m.trialId !== control.id) since++;
      else {
        if (m.phase === 'control' && measured[i - 1]!.trialId !== control.id) gaps.push(since);
        since = 0;
      }
    }
    // Rounds fall between trials: the first trial boundary at or past the interval (12 of 10 here).
    const interval = CONTROL_EVERY_ROUNDS * videos.length;
    const perTrial = 3 * videos.length;
    const due = Math.ceil(interval / perTrial) * perTrial;
    expect(gaps).toEqual([due, due, due]);
  });

  it("asks the evaluator to keep the control's config ready, then the race's contenders' before the race's first challenge", async () => {
    const evaluator = new FakeEvaluator({ time: (c) => ({ CTRL: 2, T1: 1, T2: 1.5, T3: 3 })[String(c.NAME)]! });
    const { measurements } = await runControlledStudy({
      names: ['T1', 'T2', 'T3'],
      policy: { repeats: { kind: 'fixed', repeats: 1 }, racing: { ...DEFAULT_RACE, enabled: false }, confirmTop: 2, confirmRepeats: 2 },
      evaluator,
    });
    const names = (configs: { NAME?: unknown }[]) => configs.map((c) => c.NAME).sort();
    expect(evaluator.keptReady).toHaveLength(2);
    expect(evaluator.keptReady[0]).toEqual({ configs: [{ NAME: 'CTRL', ACC: 1 }], afterChallenges: 0 });
    // The two fastest sampled trials and the control, asked for once the search is over.
    expect(names(evaluator.keptReady[1]!.configs)).toEqual(['CTRL', 'T1', 'T2']);
    expect(evaluator.keptReady[1]!.afterChallenges).toBe(measurements.filter((m) => m.phase !== 'confirm').length);
    expect(measurements.some((m) => m.phase === 'confirm')).toBe(true);
  });
});
