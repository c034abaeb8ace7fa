// Which control measurement a challenge is set against. On a steady host, the control's level near it:
// the median of its three measurements of the video nearest in time, so one unlucky control challenge
// does not make every trial measured next to it look faster. Once the host drifted, the single
// nearest measurement: a median reaching back across the change would read the old speed.
import { describe, expect, it } from 'vitest';
import type { MeasurementRecord, ObjectiveSpec, TrialRecord } from '../../src/store/types.js';
import { StudyData } from '../../src/study/data.js';
import { standingOf } from '../../src/study/standing.js';

const objective: ObjectiveSpec = { kind: 'fastest-safe', accuracyFloor: 0.9, tMin: 2 };
const control = { id: 1, number: 0, baseline: 'CTRL', state: 'COMPLETE', params: {} } as unknown as TrialRecord;
const trial = { id: 2, number: 1, baseline: null, state: 'COMPLETE', params: {} } as unknown as TrialRecord;

const m = (id: number, trialId: number, total: number, phase = trialId === 1 ? 'control' : 'search') =>
  ({ id, trialId, videoUrl: 'v1', repeat: 1, phase, error: null, accuracy: 1, sn44: null, timeline: { total } }) as unknown as MeasurementRecord;

function standing(measurements: MeasurementRecord[]) {
  return standingOf(new StudyData([control, trial], measurements), objective, 'CTRL', 1);
}

describe('the control measurement a challenge is set against', () => {
  it('on a steady host, the median of the three nearest: one slow control challenge does not move the trial next to it', () => {
    // The control runs at 1.0 s; its challenge at id 10 ran 1.6 s (a hiccup). The trial's, just after it, 1.0 s.
    const ms = [m(1, 1, 1, 'search'), m(2, 1, 1, 'search'), m(3, 1, 1, 'search'), m(10, 1, 1.6), m(11, 2, 1), m(20, 1, 1), m(30, 1, 1)];
    const s = standing(ms);
    expect(s.drift.detected).toBe(false);
    expect(s.ratios!.ratio(ms[4]!)).toBeCloseTo(1, 10);
    expect(s.ratios!.value(ms[4]!)).toBeCloseTo(1, 10);
    // The control's own hiccup reads as what it is: 1.6x its level.
    expect(s.ratios!.ratio(ms[3]!)).toBeCloseTo(1.6, 10);
  });

  it('once the host drifted, the single nearest: the trial measured just after the change reads at the new speed', () => {
    // The host turns 2x slower from id 20 on; the trial's challenge at id 21 took 2.0 s, as the control's at id 20.
    const ms = [...[1, 2, 3, 4, 5, 6].map((id) => m(id, 1, 1, id <= 3 ? 'search' : 'control')), m(20, 1, 2), m(21, 2, 2), ...[60, 70, 80].map((id) => m(id, 1, 2))];
    const s = standing(ms);
    expect(s.drift.detected).toBe(true);
    expect(s.normaliser).not.toBeNull();
    // The three nearest (ids 20, 6, 5) have a median of 1.0: the trial would read 2x slower than it is.
    expect(s.normaliser!.ratio(ms[7]!)).toBeCloseTo(1, 10);
    expect(s.normaliser!.value(ms[7]!)).toBeCloseTo(1, 10);
  });
});
