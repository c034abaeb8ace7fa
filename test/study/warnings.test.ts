// Hyperfine-like warnings, each with what to do: a first challenge much slower than the rest, and
// statistical outliers (modified z-score on the MAD).
import { describe, expect, it } from 'vitest';
import type { MeasurementRecord } from '../../src/store/types.js';
import { analyseStudy } from '../../src/study/ranking.js';
import { studyNotes } from '../../src/study/notes.js';
import { trialWarnings, WARNING_ADVICE } from '../../src/study/warnings.js';
import { sampleMeasurement } from '../store/store-fixtures.js';

let id = 0;
const m = (videoUrl: string, total: number, trialId = 1): MeasurementRecord => {
  const base = sampleMeasurement({ videoUrl });
  return { ...base, timeline: { ...base.timeline, total }, id: ++id, trialId, createdAt: 'now' };
};

describe('measurement warnings', () => {
  it('flags a first challenge much slower than the others on its video', () => {
    const w = trialWarnings([m('a', 3.2), m('b', 1.5), m('a', 1.0), m('b', 1.52), m('a', 1.02)]);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ kind: 'slow-first' });
    expect(w[0]!.message).toBe('first challenge 3.200 s, 3.2x the median 1.010 s of the others on its video');
    expect(trialWarnings([m('a', 1.2), m('a', 1.0), m('a', 1.02)])).toEqual([]);
  });

  it('flags statistical outliers, pooling videos of different lengths', () => {
    const steady = [m('a', 1.0), m('b', 2.0), m('a', 1.01), m('b', 2.03), m('a', 0.99), m('b', 1.98)];
    expect(trialWarnings(steady)).toEqual([]);
    const w = trialWarnings([...steady, m('b', 3.1)]);
    expect(w.map((x) => x.kind)).toEqual(['outliers']);
    expect(w[0]!.message).toMatch(/^1 of 7 challenges are statistical outliers \(\|modified z\| > 3\.5\): 3\.100 s$/);
  });

  it("says what to do in the study's notes, naming the trials", () => {
    const trial = (idNumber: number, number: number) => ({
      id: idNumber,
      studyId: 1,
      number,
      params: { N: number },
      baseline: null,
      state: 'COMPLETE' as const,
      reason: null,
      value: 1,
      feasible: true,
      violation: 0,
      verdict: null,
      workerHost: 'h',
      workerPid: 1,
      startedAt: '',
      finishedAt: '',
      heartbeatAt: '',
    });
    const measurements = [
      ...[2.5, 1.0, 1.01, 1.02].map((t) => m('a', t, 1)),
      ...[1.0, 1.01, 1.02, 0.99, 1.0, 4.0].map((t) => m('a', t, 2)),
    ];
    const analysis = analyseStudy({ trials: [trial(1, 0), trial(2, 1)], measurements, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 } });
    const notes = studyNotes(analysis);
    expect(notes).toContain(`warning: 1 trial(s) had a first challenge much slower than the rest (trial 0): ${WARNING_ADVICE['slow-first']}`);
    expect(notes).toContain(`warning: 1 trial(s) had statistical outliers (trial 1): ${WARNING_ADVICE.outliers}`);
    expect(WARNING_ADVICE['slow-first']).toMatch(/--warmup 1/);
    expect(WARNING_ADVICE.outliers).toMatch(/keep the host quiet|--max-repeats/);
  });
});
