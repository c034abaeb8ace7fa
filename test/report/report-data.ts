import type { ReportData, ReportTrial } from '../../src/report/model.js';

// A small study as the emitter would build it: a winner, two baselines, a few others, one infeasible.
export function sampleReportData(): ReportData {
  const trial = (n: number, over: Partial<ReportTrial>): ReportTrial => ({
    number: n,
    host: 'lab-host',
    rank: n,
    params: { IMG_SIZE: 320 + (n % 3) * 160, FRAME_STRIDE: 1 + (n % 2), CHUNKED_STREAMING: n % 2 },
    state: 'COMPLETE',
    feasible: true,
    baseline: null,
    median: 2 + n * 0.1,
    low: 1.9 + n * 0.1,
    high: 2.2 + n * 0.1,
    p90: 2.3 + n * 0.1,
    accuracy: 0.99 - n * 0.002,
    coverage: 1,
    sn44: 0.8 - n * 0.01,
    quality: 0.9,
    bboxQuality: 0.9,
    tiedWithBest: n < 2,
    stages: { connect: 0.01, firstByte: 0.1, download: 0.3, decode: 0.2, inference: 1.2 + n * 0.05, wait: 0.02 },
    value: 2 + n * 0.1,
    speedups: {},
    speedupBasis: {},
    phase: n < 2 || n === 3 ? 'confirm' : 'search',
    ratio: { median: 0.5 + n * 0.05, low: 0.45 + n * 0.05, high: 0.56 + n * 0.05 },
    repeats: 2,
    raceRounds: n < 2 || n === 3 ? 3 : 0,
    dropped: null,
    saved: 0,
    ...over,
  });
  const trials = [
    trial(3, { rank: 1 }),
    trial(0, { rank: 2, baseline: 'fork-default', median: 4.1 }),
    trial(1, { rank: 3, baseline: 'QUICK', median: 2.9 }),
    trial(4, { rank: 4, dropped: { phase: 'search', p: 0.03, vs: 3 }, saved: 4 }),
    trial(2, { rank: 5, baseline: 'ULTRA', feasible: false, accuracy: 0.7, value: 1.8 }),
    trial(5, { rank: null, state: 'FAIL', feasible: false, median: null, accuracy: null, value: null, stages: null }),
  ];
  for (const t of trials) {
    for (const b of trials.filter((x) => x.baseline)) {
      if (t.median === null || b.median === null) continue;
      t.speedups[b.baseline!] = b.median / t.median;
      t.speedupBasis[b.baseline!] = t.phase === 'confirm' && b.phase === 'confirm' ? 'race' : 'search';
    }
  }
  return {
    study: 'demo',
    objective: 'fastest-safe',
    direction: 'minimize',
    space: 'search-spaces/quick.yaml',
    host: 'test-host',
    created: '2026-11-24T00:00:00Z',
    generated: '2026-11-24T00:10:00Z',
    tMin: 2,
    winner: 3,
    trials,
    knobs: ['IMG_SIZE', 'FRAME_STRIDE', 'CHUNKED_STREAMING'],
    notes: ['USE_NVDEC dropped: no NVDEC on this host', "warning: the host's speed changed during the study: the control (fork-default) ran 1.90x slower"],
    drift: { detected: true, factor: 1.9, threshold: 1.15 },
    rankedBy: 'control-normalised',
    control: {
      name: 'fork-default',
      // Two videos, the host twice as slow from the fifth round on.
      points: Array.from({ length: 16 }, (_, index) => {
        const normalised = (index >= 8 ? 1.9 : 1) * (1 + ((index * 7) % 5) / 100);
        const rolling = index >= 2 ? (index >= 10 ? 1.9 : index >= 8 ? 1.45 : 1.02) : null;
        return { index, video: index % 2 ? 'b.mp4' : 'a.mp4', phase: index < 4 ? 'search' : 'control', total: 2 * normalised, normalised, rolling };
      }),
    },
  };
}
