// Progress covers the whole study in challenges: trials (re-estimated as they stop early), control
// rounds and the confirmation race, so it never shows 100% while a race is still to run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { createProgress } from '../../src/study/progress.js';
import { runStudy } from '../../src/study/runner.js';
import { fakeSpace, FakeEvaluator, listSampler } from './fixtures/fake-evaluator.js';

describe('progress of a whole study', () => {
  it('counts control rounds and the race: below 100% until the last challenge, which it reaches exactly', async () => {
    const storage = await openStorage(join(mkdtempSync(join(tmpdir(), 'autotune-progress-')), 'a.db'));
    const { study } = await openStudy(storage, {
      name: 'p',
      spaceFile: 'fake.yaml',
      space: {},
      objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 },
      settings: {},
      host: {},
    });
    const events: { done: number; total: number; stage: string }[] = [];
    const lines: string[] = [];
    const progress = createProgress({ tty: false, objective: 'fastest-safe', write: (l) => lines.push(l) });
    const speeds = [3, 1, 6, 2, 8, 1.5, 7, 9, 5, 4];
    await runStudy({
      storage,
      study,
      evaluator: new FakeEvaluator({ time: (c, v, call) => Number(c.T) * (v.url.endsWith('2.mp4') ? 1.5 : 1) * (1 + ((call % 3) - 1) / 100) }),
      videos: [{ url: 'https://lab/v1.mp4' }, { url: 'https://lab/v2.mp4' }],
      space: fakeSpace,
      baselines: [{ name: 'BASE', config: { T: 5 } }],
      sampler: listSampler(speeds.map((T) => ({ T }))),
      seed: 1,
      trials: speeds.length,
      timeLimitMs: null,
      repeats: { kind: 'auto', maxRepeats: 4 },
      racing: DEFAULT_RACE,
      control: 'BASE',
      confirmTop: 3,
      confirmRepeats: 6,
      events: { ...progress.events, progress: (e) => events.push(e) },
    });
    await storage.close();
    const last = events.at(-1)!;
    expect(last.done).toBe(last.total);
    for (const e of events.slice(0, -1)) expect(e.done).toBeLessThan(e.total);
    // Every challenge was counted, the race included.
    expect(events.map((e) => e.done)).toEqual([...Array(last.done + 1).keys()]);
    const race = events.filter((e) => e.stage === 'race');
    expect(race.length).toBeGreaterThan(10);
    // When the race started, the estimate had room for all of it (racing can only make it shorter).
    expect(race[0]!.total).toBeGreaterThanOrEqual(last.total);
    // Before the first trial, the estimate already held the race.
    expect(events[0]!.total).toBeGreaterThan(3 * 2 * 6);
    // The plain-text progress says what happened.
    expect(lines.some((l) => /^confirmation race: trials .* up to 6 rounds/.test(l))).toBe(true);
    expect(lines.some((l) => /not repeated, behind the best on its first challenge: \d+\.\d+x trial \d+/.test(l))).toBe(true);
    expect(lines.some((l) => /^control round 1 done/.test(l))).toBe(true);
  });
});
