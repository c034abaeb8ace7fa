// Racing and adaptive repeats on planted measurements: a config's time on a video is a fixed figure
// times a small noise that varies from challenge to challenge, so which trials the race drops and
// how many repeats each gets are known in advance and do not depend on the machine.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../../src/store/index.js';
import type { ObjectiveSpec } from '../../src/store/types.js';
import { openStudy } from '../../src/study/open.js';
import { DEFAULT_RACE, type RepeatPolicy } from '../../src/study/policy.js';
import { describeWinner, studyNotes } from '../../src/study/notes.js';
import { judgeTrial } from '../../src/study/judge.js';
import { describeVerdict } from '../../src/study/progress.js';
import { runStudy, type RunStudyOptions } from '../../src/study/runner.js';
import { fakeSpace, FakeEvaluator, listSampler, type FakeBehaviour } from './fixtures/fake-evaluator.js';

const stores: Storage[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const V2 = [{ url: 'https://lab/v1.mp4' }, { url: 'https://lab/v2.mp4' }];
const V3 = [...V2, { url: 'https://lab/v3.mp4' }];

/** Noise of the n-th challenge of a config: both signs, not monotone. */
const PATTERN = [0, 1, -1, 0.5, -0.5, 0.8, -0.8, 0.3, -0.3];

/**
 * Planted figures: seconds per config name and video (default 1 s), times a noise from PATTERN. Each
 * name starts the pattern at its own offset (its length), so paired blocks of two configs differ;
 * TWIN and NEAR run it mirrored, so against a config of the same offset they are faster on some
 * blocks and slower on others.
 */
function planted(table: Record<string, number | Record<string, number>>, noise = 0.02): FakeBehaviour {
  return {
    time: (c, v, call) => {
      const name = String(c.NAME);
      const row = table[name] ?? 1;
      const base = typeof row === 'number' ? row : (row[v.url.slice(-6)] ?? 1);
      const sign = name.startsWith('TWIN') || name.startsWith('NEAR') ? -1 : 1;
      return base * (1 + sign * noise * PATTERN[(call + name.length) % PATTERN.length]!);
    },
    accuracyOf: (c) => (String(c.NAME).startsWith('BLUR') ? 0.5 : String(c.NAME).startsWith('MARGIN') ? 0.96 : 0.995),
    fail: (c) => (String(c.NAME).startsWith('BROKEN') ? 'connection reset' : null),
  };
}

async function race(
  behaviour: FakeBehaviour,
  configs: string[],
  options: Partial<RunStudyOptions> & { repeats?: number | RepeatPolicy; objective?: ObjectiveSpec } = {},
) {
  const { objective = { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, ...over } = options;
  const storage = await openStorage(join(mkdtempSync(join(tmpdir(), 'autotune-race-')), 'a.db'));
  stores.push(storage);
  const { study } = await openStudy(storage, {
    name: 'race',
    spaceFile: 'fake.yaml',
    space: {},
    objective,
    settings: {},
    host: {},
  });
  const evaluator = new FakeEvaluator(behaviour);
  const result = await runStudy({
    storage,
    study,
    evaluator,
    videos: V2,
    space: fakeSpace,
    baselines: [],
    sampler: listSampler(configs.map((NAME) => ({ NAME }))),
    seed: 1,
    trials: configs.length,
    timeLimitMs: null,
    repeats: 3,
    racing: DEFAULT_RACE,
    confirmTop: 0,
    confirmRepeats: 0,
    ...over,
  });
  const trials = await storage.listTrials(study.id);
  const byName = (name: string) => trials.find((t) => t.params.NAME === name)!;
  const row = (name: string) => result.ranking.find((r) => r.params.NAME === name)!;
  const ms = async (name: string) => storage.listMeasurements({ trialId: byName(name).id });
  return { storage, study, result, evaluator, byName, row, ms };
}

describe('racing in the search', () => {
  it('drops a clearly worse config after the minimum blocks, with its p-value; keeps a tied one', async () => {
    const { byName, row, result } = await race(planted({ INC: 1, TWIN: 1, WORSE: 1.25 }), ['INC', 'TWIN', 'WORSE'], { videos: V3 });
    // 3 videos x 3 repeats planned; the exact one-sided test reaches p = 1/32 on 5 blocks all worse.
    expect(byName('WORSE')).toMatchObject({ state: 'PRUNED', verdict: { kind: 'race', challenges: 5, planned: 9, vs: 0 } });
    expect(byName('WORSE').verdict!.p).toBeCloseTo(1 / 32, 10);
    expect(byName('WORSE').reason).toMatch(/dropped by the race after 5\/9 challenges: worse than trial 0 on 5 shared blocks \(Wilcoxon signed-rank, p = 0\.031\)/);
    expect(byName('TWIN')).toMatchObject({ state: 'COMPLETE', verdict: { kind: 'planned', challenges: 9 } });
    expect(row('WORSE')).toMatchObject({ dropped: { phase: 'search', vs: 0, blocks: 5 }, saved: 4, feasible: false });
    expect(row('WORSE').rank).toBe(3);
    expect(result.analysis.race.searchDropped).toEqual([byName('WORSE').number]);
    expect(result.analysis.saved).toBe(4);
  });

  it('a dropped trial is never the winner, even when its few challenges have the lowest median', async () => {
    // v1 is short, v2 long: after 5 blocks TRICKY has three v1 challenges and a median of 1.1 s, below
    // the incumbent's 2 s, yet it is 10% slower on every block they share.
    const { byName, row, result } = await race(
      planted({ INC: { 'v1.mp4': 1, 'v2.mp4': 3 }, TRICKY: { 'v1.mp4': 1.1, 'v2.mp4': 3.3 } }, 0.01),
      ['INC', 'TRICKY'],
    );
    expect(byName('TRICKY')).toMatchObject({ state: 'PRUNED', verdict: { kind: 'race', challenges: 5 } });
    expect(row('TRICKY').median!).toBeLessThan(row('INC').median!);
    expect(result.winner!.params.NAME).toBe('INC');
    expect(result.ranking[0]!.params.NAME).toBe('INC');
    expect(row('TRICKY').why).toMatch(/^dropped by the race: /);
  });

  it('stops a trial that cannot become feasible after its first challenge; without racing it measures them all', async () => {
    const on = await race(planted({}), ['OK', 'BLUR', 'BROKEN']);
    expect(on.byName('BLUR')).toMatchObject({ state: 'COMPLETE', feasible: false, verdict: { kind: 'infeasible', challenges: 1 } });
    expect(on.byName('BLUR').reason).toMatch(/stopped after 1\/6 challenges: accuracy at most 0\.500 on every challenge, far below the floor 0\.98/);
    expect(on.byName('BROKEN')).toMatchObject({ state: 'FAIL', verdict: { kind: 'infeasible', challenges: 1 } });
    expect(on.row('BLUR').saved).toBe(5);
    const off = await race(planted({}), ['OK', 'BLUR', 'BROKEN'], { racing: { ...DEFAULT_RACE, enabled: false } });
    expect((await off.ms('BLUR')).length).toBe(6);
    expect((await off.ms('BROKEN')).length).toBe(6);
    expect(off.byName('BLUR').verdict).toMatchObject({ kind: 'planned' });
  });

  it('stops a sampled trial under the floor on a video after that video\'s first challenge; a baseline keeps its repeats', async () => {
    // MARGIN answers at 0.96: under the floor 0.98, not far under it. Feasibility takes the lowest
    // video, so its first challenge already makes it infeasible on its figures.
    const on = await race(planted({ MARGIN: 0.5 }), ['OK', 'MARGIN'], {
      repeats: { kind: 'auto', maxRepeats: 3 },
      baselines: [{ name: 'MARGIN-PRESET', config: { NAME: 'MARGINB' } }],
    });
    expect(on.byName('MARGIN')).toMatchObject({ state: 'COMPLETE', feasible: false, verdict: { kind: 'infeasible', challenges: 1 } });
    expect(on.byName('MARGIN').reason).toMatch(/stopped after 1\/6 challenges: accuracy 0\.960 on v1\.mp4, under the floor 0\.98 \(a video's accuracy rarely changes between repeats\)/);
    expect((await on.ms('MARGINB')).length).toBeGreaterThanOrEqual(4);
    expect(on.byName('MARGINB').feasible).toBe(false);
    // Only the accuracy floor of fastest-safe makes a trial infeasible this way.
    const sn44 = await race(planted({ MARGIN: 0.5 }), ['OK', 'MARGIN'], { repeats: { kind: 'auto', maxRepeats: 3 }, objective: { kind: 'sn44', accuracyFloor: 0.98, tMin: 2 } });
    expect(sn44.byName('MARGIN').verdict).not.toMatchObject({ kind: 'infeasible' });
    // Fixed repeats without racing measure every planned challenge.
    const off = await race(planted({ MARGIN: 0.5 }), ['OK', 'MARGIN'], { racing: { ...DEFAULT_RACE, enabled: false } });
    expect((await off.ms('MARGIN')).length).toBe(6);
  });

  it('names the video under the floor by its file name, without the query of a signed URL', () => {
    const url = 'https://cdn.example/chunks/clip-7.mp4?X-Amz-Signature=abc123';
    const judged = judgeTrial({
      blocks: [{ videoUrl: url, repeat: 1, value: 1.2, failed: false, accuracy: 0.95 }],
      videos: [url, 'https://cdn.example/chunks/clip-8.mp4'],
      policy: { repeats: { kind: 'auto', maxRepeats: 3 }, racing: DEFAULT_RACE, control: null, warmup: 0, confirmTop: 5, confirmRepeats: 5 },
      objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 },
      direction: 'minimize',
      baseline: false,
      control: false,
      incumbent: null,
      normalised: false,
      seed: 1,
    });
    expect(judged).toMatchObject({ kind: 'stop', state: 'COMPLETE', verdict: { kind: 'infeasible', challenges: 1 } });
    const reason = (judged as { reason: string }).reason;
    expect(reason).toMatch(/^stopped after 1\/6 challenges: accuracy 0\.950 on clip-7\.mp4, under the floor 0\.98/);
    expect(reason).not.toMatch(/Signature/);
  });
});

describe('adaptive repeats', () => {
  const auto: RepeatPolicy = { kind: 'auto', maxRepeats: 5 };

  it('repeats a steady config until its medians are precise, a noisy contender up to --max-repeats, a loser once', async () => {
    const behaviour: FakeBehaviour = {
      // NOISY's first round is faster than STEADY's (a contender), its later ones swing by 60%.
      time: (c, _v, call) => {
        if (c.NAME === 'NOISY') return [0.8, 0.9, 1.3][call % 3]!;
        return (c.NAME === 'LOSER' ? 2 : 1) * (1 + ((call % 3) - 1) / 200);
      },
    };
    const { byName, row } = await race(behaviour, ['STEADY', 'NOISY', 'LOSER'], { repeats: auto, racing: { ...DEFAULT_RACE, enabled: false } });
    expect(byName('STEADY')).toMatchObject({ state: 'COMPLETE', verdict: { kind: 'precise', repeats: 2, challenges: 4, planned: 10 } });
    expect(byName('NOISY')).toMatchObject({ state: 'COMPLETE', verdict: { kind: 'planned', repeats: 5, challenges: 10 } });
    // Twice as slow: judged on its first block (the margin on one of two videos is 10%).
    // NOISY (median 0.9 s) is the best when LOSER runs.
    expect(byName('LOSER')).toMatchObject({ state: 'COMPLETE', verdict: { kind: 'clear-loser', repeats: 1, challenges: 1, vs: 1 } });
    expect(byName('LOSER').verdict!.ratio).toBeCloseTo(2 / 0.9, 1);
    expect([row('STEADY').repeats, row('NOISY').repeats, row('LOSER').repeats]).toEqual([2, 5, 1]);
    expect(row('LOSER').saved).toBe(9);
    expect(row('STEADY').saved).toBe(6);
  });

  it('never cuts the control short as a loser; a control that cannot become feasible stops like any trial', async () => {
    const slow = await race(planted({ FAST: 1, 'SLOW-CONTROL': 2 }), [], {
      repeats: auto,
      baselines: [{ name: 'fast', config: { NAME: 'FAST' } }, { name: 'slow', config: { NAME: 'SLOW-CONTROL' } }],
      control: 'slow',
    });
    // Twice as slow as the best so far: another trial would stop after one challenge (see LOSER above).
    expect(slow.byName('SLOW-CONTROL').verdict).toMatchObject({ kind: 'precise', challenges: 4 });
    const blurry = await race(planted({}), [], { repeats: auto, baselines: [{ name: 'blurry', config: { NAME: 'BLUR-CONTROL' } }], control: 'blurry' });
    // Its speed series then comes from the control rounds between trials.
    expect(blurry.byName('BLUR-CONTROL').verdict).toMatchObject({ kind: 'infeasible', challenges: 1 });
  });

  it('stops a trial behind the best after its first round, even when no single video says so by the margin', async () => {
    // BEHIND is 4% slower than INC on v1 (under the 10% margin a half round needs) and 2% faster on v2:
    // its ratios' median over the round, 1.01, is behind. AHEAD is 2% faster on both: a contender.
    const table = { INC: 1, BEHIND: { 'v1.mp4': 1.04, 'v2.mp4': 0.98 }, AHEAD: 0.98 };
    const { byName, row } = await race(planted(table, 0.001), ['INC', 'BEHIND', 'AHEAD'], { repeats: auto, racing: { ...DEFAULT_RACE, enabled: false } });
    expect(byName('BEHIND')).toMatchObject({ state: 'COMPLETE', verdict: { kind: 'clear-loser', repeats: 1, challenges: 2, vs: 0 } });
    expect(byName('BEHIND').verdict!.ratio).toBeCloseTo(1.01, 2);
    expect(row('BEHIND').repeats).toBe(1);
    expect(byName('AHEAD').verdict).toMatchObject({ kind: 'precise', repeats: 2 });
  });

  it('stops repeating a contender once a later round puts it behind the best', async () => {
    // LUCKY's first round (0.9 s) is ahead of INC (1 s); its next ones are 1.3 s, so after two rounds
    // its medians are 1.1 s: behind, no longer a contender. Before, it ran to --max-repeats (10).
    const behaviour: FakeBehaviour = {
      time: (c, _v, call) => (c.NAME === 'LUCKY' ? (call < 2 ? 0.9 : 1.3) : 1 + (call % 2) / 1000),
    };
    const { byName, row } = await race(behaviour, ['INC', 'LUCKY'], { repeats: auto, racing: { ...DEFAULT_RACE, enabled: false } });
    expect(byName('INC').verdict).toMatchObject({ kind: 'precise', repeats: 2 });
    expect(byName('LUCKY')).toMatchObject({ state: 'COMPLETE', verdict: { kind: 'clear-loser', repeats: 2, challenges: 4, vs: byName('INC').number } });
    expect(byName('LUCKY').verdict!.ratio).toBeCloseTo(1.1, 2);
    expect(describeVerdict(byName('LUCKY').verdict)).toMatch(/^repeated 2 times, then behind the best on its 4 challenges: 1\.10x trial 0 /);
    expect(row('LUCKY').repeats).toBe(2);
  });

  it("measures the control in full; another baseline behind the best stops after its first round", async () => {
    const table = { CTRL: 1.5, SLOWBASE: 1.6, FAST: 1 };
    const { byName, storage, study } = await race(planted(table, 0.001), ['FAST'], {
      repeats: auto,
      racing: { ...DEFAULT_RACE, enabled: false },
      baselines: [
        { name: 'CTRL', config: { NAME: 'CTRL' } },
        { name: 'FASTBASE', config: { NAME: 'FAST' } },
        { name: 'SLOWBASE', config: { NAME: 'SLOWBASE' } },
      ],
      control: 'CTRL',
    });
    // The control runs first, in full; FASTBASE beats it and is repeated; SLOWBASE is behind FASTBASE.
    const base = (name: string) => trials.find((t) => t.baseline === name)!;
    const trials = await storage.listTrials(study.id);
    expect(base('CTRL').verdict).toMatchObject({ kind: 'precise', repeats: 2 });
    expect(base('FASTBASE').verdict).toMatchObject({ kind: 'precise', repeats: 2 });
    expect(base('SLOWBASE').verdict).toMatchObject({ kind: 'clear-loser', repeats: 1, challenges: 1, vs: base('FASTBASE').number });
    expect(byName('FAST').state).toBe('COMPLETE');
  });

  it('measures the control first and in full; the same baseline behind the best, not the control, is cut short', async () => {
    const { storage, study } = await race(planted({ CTRL: 1.5, FAST: 1 }, 0.001), [], {
      repeats: auto,
      racing: { ...DEFAULT_RACE, enabled: false },
      baselines: [
        { name: 'FASTBASE', config: { NAME: 'FAST' } },
        { name: 'CTRL', config: { NAME: 'CTRL' } },
      ],
      control: null,
    });
    const trials = await storage.listTrials(study.id);
    expect(trials.find((t) => t.baseline === 'CTRL')!.verdict).toMatchObject({ kind: 'clear-loser', repeats: 1 });
    const ctl = await race(planted({ CTRL: 1.5, FAST: 1 }, 0.001), [], {
      repeats: auto,
      racing: { ...DEFAULT_RACE, enabled: false },
      baselines: [
        { name: 'FASTBASE', config: { NAME: 'FAST' } },
        { name: 'CTRL', config: { NAME: 'CTRL' } },
      ],
      control: 'CTRL',
    });
    // The control is measured first whatever the space's order, and in full.
    const again = await ctl.storage.listTrials(ctl.study.id);
    expect(again.find((t) => t.baseline === 'CTRL')!).toMatchObject({ number: 0, verdict: { kind: 'precise', repeats: 2 } });
  });

  it('a 40-trial study with the defaults (adaptive repeats, racing) spends at most 40% of the challenges of 3 fixed repeats, same winner', async () => {
    // One clear best (B), two near it, 37 others 20-110% slower; the baseline is one of the slow ones.
    const table: Record<string, number> = { B: 1, N1: 1.04, N2: 1.06 };
    const slow = Array.from({ length: 37 }, (_, i) => `S${i + 1}`);
    slow.forEach((n, i) => (table[n] = 1.2 + ((i * 7) % 37) * 0.025));
    const names = [...slow.slice(0, 5), 'N1', ...slow.slice(5, 15), 'B', ...slow.slice(15, 30), 'N2', ...slow.slice(30)];
    const common = { videos: V2, confirmTop: 3, confirmRepeats: 5, baselines: [{ name: 'BASE', config: { NAME: 'S9' } }], control: 'BASE' };
    const fixed = await race(planted(table), names, { ...common, repeats: 3, racing: { ...DEFAULT_RACE, enabled: false } });
    const defaults = await race(planted(table), names, { ...common, repeats: auto, racing: DEFAULT_RACE });
    const cost = (r: typeof fixed) => r.result.analysis.challenges.total;
    expect(defaults.result.winner!.params.NAME).toBe('B');
    expect(fixed.result.winner!.params.NAME).toBe('B');
    expect(cost(defaults) / cost(fixed)).toBeLessThanOrEqual(0.4);
    // Once B was measured, the slow configs got a block or two each; repeats went to the contenders.
    const afterB = names.slice(names.indexOf('B') + 1).filter((x) => x.startsWith('S') && x !== 'S9');
    for (const n of afterB) expect(defaults.row(n).repeats).toBe(1);
  });
});

describe('the confirmation race', () => {
  it('compares the contenders with the best feasible one: a fast baseline below the accuracy floor never drops them', async () => {
    // BLURBASE (the control) is twice as fast as BEST but answers at accuracy 0.5, under the floor.
    const table = { BLURBASE: 0.5, BEST: 1, NEAR: 1.005, BAD: 1.3 };
    const { result, row } = await race(planted(table), ['BEST', 'NEAR', 'BAD'], {
      repeats: 2,
      baselines: [{ name: 'CTRL', config: { NAME: 'BLURBASE' } }],
      control: 'CTRL',
      confirmTop: 3,
      confirmRepeats: 5,
    });
    expect(row('BLURBASE').feasible).toBe(false);
    expect(row('BLURBASE').raceRounds).toBe(5);
    // Against BEST, not the infeasible baseline: the tied NEAR stays, BAD goes.
    expect(row('NEAR').dropped).toBeNull();
    expect(row('BEST').dropped).toBeNull();
    expect(row('BAD').dropped).toMatchObject({ phase: 'confirm', vs: row('BEST').number });
    expect(result.winner!.params.NAME).toBe('BEST');
    expect(result.winner!.phase).toBe('confirm');
  });

  it('drops contenders significantly worse than the best (Holm across the comparisons), keeps the control, never crowns a dropped one', async () => {
    const table = { BEST: 1, NEAR: 1.005, BAD: 1.3, CTRL: 2, SLOWBASE: 1.6 };
    const { result, row, storage, study } = await race(planted(table), ['BEST', 'NEAR', 'BAD'], {
      repeats: 2,
      baselines: [
        { name: 'CTRL', config: { NAME: 'CTRL' } },
        { name: 'SLOWBASE', config: { NAME: 'SLOWBASE' } },
      ],
      control: 'CTRL',
      confirmTop: 3,
      confirmRepeats: 5,
    });
    // Round 3 gives 6 shared blocks: p = 1/64 each, x3 (Holm, three comparisons) = 0.047 < 0.05.
    for (const name of ['BAD', 'SLOWBASE']) {
      expect(row(name).dropped).toMatchObject({ phase: 'confirm', round: 3, vs: row('BEST').number, blocks: 6 });
      expect(row(name).dropped!.p).toBeCloseTo(3 / 64, 10);
      expect(row(name).raceRounds).toBe(3);
      expect(row(name).saved).toBe(4);
      expect(row(name).feasible).toBe(true);
    }
    expect(row('CTRL').raceRounds).toBe(5);
    expect(row('NEAR').dropped).toBeNull();
    expect(row('NEAR').raceRounds).toBe(5);
    expect(result.analysis.race).toMatchObject({ enabled: true, rounds: 5 });
    expect(result.analysis.race.dropped.sort()).toEqual([row('BAD').number, row('SLOWBASE').number].sort());
    expect(result.winner!.params.NAME).toBe('BEST');
    // The control is measured every round and never dropped, but the race would have dropped it.
    expect(row('CTRL').dropped).toBeNull();
    expect(row('CTRL').outpaced).toBe(true);
    expect(row('CTRL').why).toMatch(new RegExp(`^the control, kept in the race; behind trial ${row('BEST').number} after round 5 \\(p = 0\\.00\\d+\\)$`));
    expect(row('NEAR').outpaced).toBe(false);
    // Survivors first, whatever their medians; then the dropped and the outpaced control by their race figures.
    expect(result.ranking.map((r) => r.params.NAME)).toEqual(['BEST', 'NEAR', 'BAD', 'SLOWBASE', 'CTRL']);
    expect(row('BAD').tiedWithBest).toBe(false);
    // Every (trial, video, round) of the race was measured once.
    const confirm = await storage.listMeasurements({ studyId: study.id, phase: 'confirm' });
    expect(new Set(confirm.map((m) => `${m.trialId} ${m.videoUrl} ${m.repeat}`)).size).toBe(confirm.length);
    expect(confirm.length).toBe(3 * 5 * 2 + 2 * 3 * 2);
  });

  it("the winner line gives the search median beside the race's when the race moved it by more than 5%", async () => {
    // BEST's first four challenges (its search) are lucky; the race measures it slower.
    const lucky: FakeBehaviour = { time: (c, _v, call) => (c.NAME === 'BEST' ? (call < 4 ? 1 : 1.25) : 1.6), accuracyOf: () => 0.995 };
    const moved = await race(lucky, ['BEST', 'SLOW'], { repeats: 2, confirmTop: 2, confirmRepeats: 3 });
    expect(moved.result.winner!.params.NAME).toBe('BEST');
    expect(moved.result.winner!.phase).toBe('confirm');
    expect(describeWinner(moved.result.winner!)).toMatch(
      /, accuracy 0\.995; its search median was 1\.000 s \(4 challenges\), the race's is 1\.25x that \(95% interval \[1\.25, 1\.25\]: beyond the two phases' own noise: the host's speed moved between them, or the search's figures were lucky\)$/,
    );
    expect(moved.result.winner!.search.raceOverSearch).toEqual({ low: 1.25, high: 1.25 });
    // From 2 search challenges the same gap is not called beyond the noise.
    const luckyTwice: FakeBehaviour = { time: (c, _v, call) => (c.NAME === 'BEST' ? (call < 2 ? 1 : 1.25) : 1.6), accuracyOf: () => 0.995 };
    const short = await race(luckyTwice, ['BEST', 'SLOW'], { repeats: 1, confirmTop: 2, confirmRepeats: 3 });
    expect(short.result.winner!.params.NAME).toBe('BEST');
    expect(describeWinner(short.result.winner!)).toMatch(
      /its search median was 1\.000 s \(2 challenges\), the race's is 1\.25x that \(95% interval \[1\.25, 1\.25\], from 2 search challenges: too few to tell noise from a change\)$/,
    );
    // A gap of 9% between noisy phases is said with its interval, which holds no gap at all.
    const noisyTimes = [1.0, 1.4, 0.9, 1.3, 1.5, 1.0, 1.45, 1.05, 1.4, 1.1];
    const noisy = await race({ time: (c, _v, call) => (c.NAME === 'BEST' ? noisyTimes[call]! : 1.6), accuracyOf: () => 0.995 }, ['BEST', 'SLOW'], { repeats: 2, confirmTop: 2, confirmRepeats: 3 });
    expect(noisy.result.winner!.params.NAME).toBe('BEST');
    const interval = noisy.result.winner!.search.raceOverSearch!;
    expect(interval.low).toBeLessThan(1);
    expect(interval.high).toBeGreaterThan(1);
    expect(describeWinner(noisy.result.winner!)).toMatch(/the race's is 1\.09x that \(95% interval \[0\.\d\d, 1\.\d\d\]: within the two phases' own noise\)$/);
    const steady = await race(planted({ BEST: 1, SLOW: 1.6 }), ['BEST', 'SLOW'], { repeats: 2, confirmTop: 2, confirmRepeats: 3 });
    expect(steady.result.winner!.phase).toBe('confirm');
    expect(describeWinner(steady.result.winner!)).not.toContain('search median');
    expect(steady.result.winner!.search.raceOverSearch!.low).toBeLessThanOrEqual(1);
    expect(steady.result.winner!.search.raceOverSearch!.high).toBeGreaterThanOrEqual(1);
  });

  it('leaves out a baseline that cannot reach the accuracy floor (not the control, not one just under it), and says so', async () => {
    // BLURQ answers at 0.5 (far below the floor 0.98): it cannot win, and the race would spend 10
    // challenges on it for speed-ups the search gives. MARGINQ (0.96) could still reach the floor.
    const table = { BEST: 1, NEAR: 1.005, CTRL: 2, BLURQ: 0.5, MARGINQ: 0.6 };
    const baselines = [
      { name: 'CTRL', config: { NAME: 'CTRL' } },
      { name: 'QUICK', config: { NAME: 'BLURQ' } },
      { name: 'MARGIN', config: { NAME: 'MARGINQ' } },
    ];
    const started: string[][] = [];
    const over = {
      repeats: 2,
      baselines,
      control: 'CTRL',
      confirmTop: 2,
      confirmRepeats: 5,
      events: { raceStart: (e: { unraced: { trial: { baseline: string | null } }[] }) => void started.push(e.unraced.map((u) => u.trial.baseline!)) },
    };
    const on = await race(planted(table), ['BEST', 'NEAR'], over);
    expect(started).toEqual([['QUICK']]);
    expect(await on.ms('BLURQ')).toHaveLength(1); // its search stopped after one challenge, and it never raced
    expect(on.row('BLURQ')).toMatchObject({ phase: 'search', raceRounds: 0, saved: 3 + 5 * 2 });
    expect(on.row('MARGINQ').raceRounds).toBe(5);
    expect(on.row('CTRL').raceRounds).toBe(5);
    expect(on.result.raced).not.toContain(on.byName('BLURQ').number);
    expect(on.result.analysis.race.unraced).toEqual([
      { number: on.byName('BLURQ').number, baseline: 'QUICK', why: expect.stringMatching(/accuracy at most 0\.500 on every challenge, far below the floor 0\.98/) },
    ]);
    // The winner's speed-up over it compares search figures with search figures.
    expect(on.result.winner!.params.NAME).toBe('BEST');
    expect(on.result.winner!.speedupBasis).toMatchObject({ QUICK: 'search', CTRL: 'race', MARGIN: 'race' });
    expect(studyNotes(on.result.analysis).join('\n')).toContain(
      `baseline QUICK (trial ${on.byName('BLURQ').number}) not raced: its search showed it cannot reach the accuracy floor (speed-ups over it are from the search)`,
    );
    const confirm = await on.storage.listMeasurements({ studyId: on.study.id, phase: 'confirm' });
    expect(confirm).toHaveLength(4 * 5 * 2);

    // Without racing every baseline races, as the search measured them all.
    started.length = 0;
    const off = await race(planted(table), ['BEST', 'NEAR'], { ...over, racing: { ...DEFAULT_RACE, enabled: false } });
    expect(started).toEqual([[]]);
    expect(off.row('BLURQ').raceRounds).toBe(5);
    expect(off.result.analysis.race.unraced).toEqual([]);
  });

  it('with racing off, every contender runs every round', async () => {
    const { result, storage, study } = await race(planted({ BEST: 1, BAD: 1.3 }), ['BEST', 'BAD'], {
      repeats: 2,
      racing: { ...DEFAULT_RACE, enabled: false },
      confirmTop: 2,
      confirmRepeats: 4,
    });
    expect(result.analysis.race.dropped).toEqual([]);
    expect(await storage.listMeasurements({ studyId: study.id, phase: 'confirm' })).toHaveLength(2 * 4 * 2);
  });
});

