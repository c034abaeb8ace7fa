// bench:racing's figures from its side-by-side run: a winner against another on the challenges they
// share, the verdict (same, tied, faster, slower), and the comparison of two variants over seeds.

import { describe, expect, it } from 'vitest';
import { acrossSeeds, pairedRatio, verdictOf, type SeedComparison } from '../../scripts/bench/racing-summary.js';
import type { ChallengeRecord } from '../../scripts/bench/side-by-side.js';

const record = (contender: string, video: string, repeat: number, total: number | null): ChallengeRecord =>
  ({
    contender,
    video,
    repeat,
    order: 0,
    stages: null,
    timeline: { total },
    error: total === null ? { reason: 'http-status', message: 'HTTP 503' } : null,
  }) as unknown as ChallengeRecord;

/** Six rounds on two videos: a takes `factor` times b's time, b's time varying by round (host drift). */
function run(factor: number): ChallengeRecord[] {
  const out: ChallengeRecord[] = [];
  for (let round = 1; round <= 6; round++) {
    for (const video of ['v1', 'v2']) {
      const b = (video === 'v1' ? 0.4 : 0.6) * (1 + round / 10);
      out.push(record('b', video, round, b), record('a', video, round, b * factor * (1 + (round % 3) / 100)));
    }
  }
  return out;
}

describe('pairedRatio', () => {
  it('pairs a and b per video and round, so a drifting host does not blur a steady ratio', () => {
    const r = pairedRatio(run(1.2), 'a', 'b');
    expect(r.pairs).toBe(12);
    expect(r.ratio).toBeGreaterThan(1.2);
    expect(r.ratio).toBeLessThan(1.22);
    expect(r.low).toBeGreaterThanOrEqual(1.2);
    expect(r.p).toBeLessThan(0.01);
  });

  it('leaves out failed challenges and cells only one of them measured', () => {
    const records = run(1.2);
    records.push(record('a', 'v3', 1, 9));
    records[1] = record('a', 'v1', 1, null);
    expect(pairedRatio(records, 'a', 'b').pairs).toBe(11);
  });

  it('has no ratio without a shared cell, and no test from one pair', () => {
    expect(pairedRatio(run(1.2), 'a', 'nobody')).toEqual({ ratio: null, low: null, high: null, p: null, pairs: 0 });
    const one = pairedRatio([record('a', 'v1', 1, 2), record('b', 'v1', 1, 1)], 'a', 'b');
    expect(one).toMatchObject({ ratio: 2, pairs: 1, p: null, low: null });
  });
});

describe('verdictOf', () => {
  const h2h = (ratio: number, p: number | null) => ({ ratio, low: null, high: null, p, pairs: 12 });
  it('reads the same config, a tie, and a difference the test shows', () => {
    expect(verdictOf(true, null)).toBe('same');
    expect(verdictOf(false, h2h(1.2, 0.001))).toBe('slower');
    expect(verdictOf(false, h2h(0.8, 0.001))).toBe('faster');
    expect(verdictOf(false, h2h(1.2, 0.2))).toBe('tied');
    // Within 5% is a tie whatever the test says: such a difference does not change a miner's score.
    expect(verdictOf(false, h2h(1.04, 0.001))).toBe('tied');
  });
  it('calls nothing tied that was not tested', () => {
    expect(verdictOf(false, h2h(1.5, null))).toBe('none');
    expect(verdictOf(false, null)).toBe('none');
  });
});

describe('acrossSeeds', () => {
  const row = (seed: number, share: number | null, a: number | null, b: number | null, verdict: SeedComparison['verdict']): SeedComparison => ({ seed, share, aToReference: a, bToReference: b, verdict });

  it('counts verdicts and shares, and compares the winners seed by seed through the reference', () => {
    const rows = [
      row(1, 0.3, 0.5, 0.45, 'slower'),
      row(2, 0.35, 0.6, 0.5, 'slower'),
      row(3, 0.42, 0.44, 0.4, 'slower'),
      row(4, 0.25, 0.55, 0.5, 'tied'),
      row(5, 0.3, 0.5, 0.5, 'same'),
      row(6, 0.38, 0.52, 0.48, 'slower'),
      row(7, 0.33, 0.7, 0.6, 'slower'),
      row(8, 0.31, 0.66, 0.6, 'slower'),
      row(9, null, null, 0.5, 'none'),
    ];
    const f = acrossSeeds(rows, 0.4);
    expect(f.seeds).toBe(9);
    expect(f.share.median).toBeCloseTo(0.32, 9);
    expect(f.share).toMatchObject({ max: 0.42, atMost: 7, limit: 0.4 });
    expect(f.verdicts).toEqual({ same: 1, tied: 1, faster: 0, slower: 6, none: 1 });
    expect(f.aToReference.median).toBeCloseTo(0.535, 6);
    expect(f.bToReference.median).toBe(0.5);
    // Seven seeds where a's winner is slower and one (seed 5) where it is the same config: a/b > 1,
    // and the signed-rank test over the seeds shows it.
    expect(f.aOverB.pairs).toBe(8);
    expect(f.aOverB.ratio).toBeGreaterThan(1.08);
    expect(f.aOverB.p).toBeLessThan(0.05);
  });

  it('shows no difference when the variants take turns', () => {
    const f = acrossSeeds([row(1, 0.3, 0.5, 0.55, 'faster'), row(2, 0.3, 0.55, 0.5, 'slower'), row(3, 0.3, 0.45, 0.5, 'faster'), row(4, 0.3, 0.5, 0.45, 'slower')], 0.4);
    expect(f.aOverB.ratio).toBeCloseTo(1, 6);
    expect(f.aOverB.p).toBeGreaterThan(0.5);
  });
});
