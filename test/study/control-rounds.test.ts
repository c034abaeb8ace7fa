// When the control is measured during the search: after a whole interval of other configs'
// challenges (CONTROL_EVERY_ROUNDS rounds of the videos), counted from the control's last challenge.
// The control's own first trial is the control, not one of the challenges the interval counts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import { runStudy } from '../../src/study/runner.js';
import { CONTROL_EVERY_ROUNDS } from '../../src/study/schedule.js';
import { fakeSpace, FakeEvaluator, listSampler } from './fixtures/fake-evaluator.js';

const videos = [{ url: 'https://lab/v1.mp4' }, { url: 'https://lab/v2.mp4' }];

describe('control rounds of the search', () => {
  it('come after a whole interval of other challenges, the first one too', async () => {
    const storage = await openStorage(join(mkdtempSync(join(tmpdir(), 'autotune-control-rounds-')), 'c.db'));
    try {
      const { study } = await openStudy(storage, { name: 'c', spaceFile: 'fake.yaml', space: {}, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: {}, host: {} });
      // Steady speeds: no drift, so the interval stays the quiet one. Each trial is 3 rounds of 2 videos.
      await runStudy({
        storage,
        study,
        evaluator: new FakeEvaluator(),
        videos,
        space: fakeSpace,
        baselines: [{ name: 'CTRL', config: { SPEED: 0, ACC: 1 } }],
        sampler: listSampler([1, 2, 3, 4, 5, 6, 7].map((SPEED) => ({ SPEED, ACC: 1 }))),
        seed: 1,
        trials: 7,
        timeLimitMs: null,
        repeats: { kind: 'fixed', repeats: 3 },
        racing: { ...DEFAULT_RACE, enabled: false },
        control: 'CTRL',
        confirmTop: 0,
        confirmRepeats: 0,
      });
      const control = (await storage.listTrials(study.id)).find((t) => t.baseline === 'CTRL')!;
      const measured = (await storage.listMeasurements({ studyId: study.id })).sort((a, b) => a.id - b.id);
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
    } finally {
      await storage.close();
    }
  });
});
