// The drift verdict on the control's own series: a quiet host's noise, as measured on the 2-core lab
// (a challenge 5-12% off its neighbours), is not drift; a step of 30% in speed under the same noise is.
import { describe, expect, it } from 'vitest';
import type { MeasurementRecord, TrialRecord } from '../../src/store/types.js';
import { ControlSeries } from '../../src/study/control.js';
import { assessDrift, DRIFT_WINDOW } from '../../src/study/drift.js';

const trial = { id: 1, baseline: 'CTRL', state: 'COMPLETE' } as TrialRecord;
const V = ['v1', 'v2'];

/** Control measurements alternating over two videos (v2 takes 1.5x v1), time i scaled by noise(i) x speed(i). */
function series(n: number, noise: (i: number) => number, speed: (i: number) => number = () => 1): ControlSeries {
  const ms = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    trialId: 1,
    videoUrl: V[i % 2]!,
    repeat: Math.floor(i / 2) + 1,
    phase: 'control',
    error: null,
    timeline: { total: (i % 2 ? 1.5 : 1) * noise(i) * speed(i) },
  }));
  return ControlSeries.of(trial, ms as unknown as MeasurementRecord[]);
}

/** A fixed pseudo-random noise of about `sd` (relative), the same for every run. */
const noiseOf = (sd: number) => (i: number) => Math.exp(sd * Math.sqrt(3) * (((i * 7919) % 101) / 50.5 - 1));

describe('assessDrift', () => {
  it("does not call a quiet host's noise drift, though single rolling windows move by more than 15%", () => {
    for (const sd of [0.03, 0.06, 0.1]) {
      const drift = assessDrift(series(24, noiseOf(sd)), 2);
      expect(drift.detected, `noise ${sd}: factor ${drift.factor} threshold ${drift.threshold}`).toBe(false);
      // The noise is measured, not assumed.
      expect(drift.spread).toBeGreaterThan(sd / 2);
      expect(drift.spread).toBeLessThan(sd * 2);
    }
    // At 10% noise the rolling medians alone move by more than the 15% a noiseless host would allow.
    expect(assessDrift(series(24, noiseOf(0.1)), 2).factor).toBeGreaterThan(1.15);
  });

  it('calls a lasting 30% or 2x change drift, under the same noise, with its factor', () => {
    for (const sd of [0.03, 0.06]) {
      const drift = assessDrift(series(24, noiseOf(sd), (i) => (i >= 12 ? 1.3 : 1)), 2);
      expect(drift.detected, `noise ${sd}: factor ${drift.factor} threshold ${drift.threshold}`).toBe(true);
      expect(drift.factor).toBeGreaterThan(1.2);
    }
    const twice = assessDrift(series(24, noiseOf(0.1), (i) => (i >= 12 ? 2 : 1)), 2);
    expect(twice).toMatchObject({ detected: true, source: 'control' });
    expect(twice.factor).toBeGreaterThan(1.7);
    expect(twice.factor).toBeLessThan(2.4);
  });

  it('calls a 1.9x move drift however noisy the control: a few points with a step in them read the step as noise', () => {
    // The control's own trial, then one round: six points, the host 1.9x slower for the last three.
    const short = assessDrift(series(7, noiseOf(0.05), (i) => (i >= 4 ? 1.9 : 1)), 2);
    expect(short.threshold).toBeLessThanOrEqual(1.5);
    expect(short, `factor ${short.factor} threshold ${short.threshold}`).toMatchObject({ detected: true, source: 'control' });
    const noisy = assessDrift(series(24, noiseOf(0.3), (i) => (i >= 12 ? 2 : 1)), 2);
    expect(noisy.threshold).toBe(1.5);
    expect(noisy.detected).toBe(true);
  });

  it('says nothing before two rolling windows fill', () => {
    expect(assessDrift(series(DRIFT_WINDOW, (i) => (i === 3 ? 2 : 1)), 2)).toMatchObject({ detected: false, factor: 1, source: null });
    expect(assessDrift(series(16, () => 1, (i) => (i >= 8 ? 2 : 1)), 2)).toMatchObject({ detected: true, factor: 2, source: 'control' });
  });
});
