import { describe, expect, it } from 'vitest';
import { changedSettings } from '../../src/study/changed-settings.js';

describe('the settings a resumed study changes', () => {
  const before = { sampler: 'tpe', seed: 1, repeats: { kind: 'auto', maxRepeats: 3 }, racing: { enabled: true, minBlocks: 5, alpha: 0.05 }, control: 'fork-default', confirmRepeats: 5, db: 'a.db' };
  it('names each measuring flag that differs, with its old value, and nothing else', () => {
    expect(changedSettings(before, { ...before })).toEqual([]);
    expect(changedSettings(before, { ...before, db: 'b.db', trials: 40 })).toEqual([]);
    expect(changedSettings(before, { ...before, repeats: { kind: 'fixed', repeats: 3 }, racing: { enabled: false, minBlocks: 5, alpha: 0.05 }, control: null })).toEqual([
      '--repeats 3 repeats (was adaptive repeats (up to 3))',
      '--racing off (was on (min 5 blocks))',
      '--control none (was fork-default)',
    ]);
  });

  it('reads a study from before adaptive repeats, which recorded a number', () => {
    expect(changedSettings({ ...before, repeats: 3 }, before)).toEqual(['--repeats adaptive repeats (up to 3) (was 3 repeats)']);
  });
});
