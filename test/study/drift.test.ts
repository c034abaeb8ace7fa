// A host that gets twice as slow halfway through a study (a fake clock: the challenge count). The
// control, measured between trials, shows it; ranking by each trial's ratio to the control measured
// near it recovers the true order, where absolute times would crown a trial measured while the host
// was fast. The warning reaches the run's output, `trials --json`, summary.json and best.env.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/pipeline/types.js';
import type { MeasurementRecord, TrialRecord } from '../../src/store/index.js';
import { DEFAULT_RACE, type MeasurePolicy } from '../../src/study/policy.js';
import { createProgress } from '../../src/study/progress.js';
import { controlLine } from '../../src/study/notes.js';
import { analyseStudy } from '../../src/study/ranking.js';
import type { StudyRunResult } from '../../src/study/runner.js';
import { runCli } from '../helpers/cli.js';
import { CONTROLLED_VIDEOS as videos, runControlledStudy } from './fixtures/controlled-study.js';

const length: Record<string, number> = { 'https://lab/v1.mp4': 1, 'https://lab/v2.mp4': 1.5 };
/** Seconds on a quiet host, per unit of video length. */
const TRUE: Record<string, number> = { CTRL: 2.0, A: 1.0, B: 1.3, C: 1.6, D: 1.45, E: 1.15, F: 1.7 };
/** The host is twice as slow from this challenge on (about halfway: the first of A, after the first control round). */
const SLOW_FROM = 26;
const noise = (tick: number) => 1 + (((tick * 37) % 7) - 3) / 100;
const time = (c: Config, v: { url: string }, _call: number, tick: number) =>
  TRUE[String(c.NAME)]! * length[v.url]! * noise(tick) * (tick >= SLOW_FROM ? 2 : 1);

// Measured in this order: B, C and D on the quiet host, A and E (the two best) and F on the slow one.
const sampled = ['B', 'C', 'D', 'A', 'E', 'F'];
const policy: MeasurePolicy = {
  repeats: { kind: 'fixed', repeats: 3 },
  racing: { ...DEFAULT_RACE, enabled: false },
  control: 'CTRL',
  warmup: 0,
  confirmTop: 0,
  confirmRepeats: 0,
};

const dir = mkdtempSync(join(tmpdir(), 'autotune-drift-'));
const db = join(dir, 'drift.db');
let result: StudyRunResult;
let stored: { trials: TrialRecord[]; measurements: MeasurementRecord[] };
const lines: string[] = [];
const warnings: string[] = [];

beforeAll(async () => {
  const progress = createProgress({ tty: false, objective: 'fastest-safe', write: (l) => lines.push(l), warn: (l) => warnings.push(l) });
  const study = await runControlledStudy({ names: sampled, time, policy, events: progress.events, db });
  result = study.result;
  stored = { trials: study.trials, measurements: study.measurements };
});

const names = (rows: { params: Config; baseline: string | null }[]) => rows.filter((r) => r.baseline === null).map((r) => r.params.NAME);

describe('drift: the host gets 2x slower halfway', () => {
  it('measures the control between trials, at most a third of the study', () => {
    const { control, challenges } = result.analysis;
    expect(control).toMatchObject({ name: 'CTRL', trial: 0 });
    expect(control!.rounds).toBeGreaterThanOrEqual(3);
    expect(control!.challenges).toBe(control!.rounds * videos.length);
    expect(control!.challenges / challenges.total).toBeLessThanOrEqual(1 / 3);
    expect(lines.filter((l) => /^control round \d+ done/.test(l)).length).toBe(control!.rounds);
    // The count is what the rounds cost beyond the control's own trial, and the note says so.
    expect(controlLine(result.analysis)).toBe(
      `control: CTRL (trial 0), measured in its own trial and in ${control!.rounds} round(s) between trials: ${control!.challenges} challenges ` +
        `beyond its trial (${Math.round((100 * control!.challenges) / challenges.total)}% of the study's ${challenges.total})`,
    );
  });

  it('ranking by the ratio to the control recovers the true order; absolute times would not', () => {
    const { drift, rankedBy, ranking } = result.analysis;
    expect(drift.detected).toBe(true);
    expect(drift.source).toBe('control');
    expect(drift.factor).toBeGreaterThan(1.8);
    expect(drift.factor).toBeLessThan(2.2);
    expect(rankedBy).toBe('control-normalised');
    expect(names(ranking)).toEqual(['A', 'E', 'B', 'D', 'C', 'F']);
    expect(result.winner?.params.NAME).toBe('A');
    // The same measurements ranked without the control: B, measured on the quiet host, would win.
    const blind = analyseStudy({ ...stored, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, policy: { ...policy, control: null } });
    expect(blind.rankedBy).toBe('absolute');
    expect(names(blind.ranking)[0]).toBe('B');
  });

  it('warns as it happens, with the factor and what to do', () => {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: the host's speed changed during the study: the control \(CTRL\) ran \d\.\d\dx slower at its slowest/);
    expect(warnings[0]).toMatch(/ratio to the control/);
    expect(warnings[0]).toMatch(/Keep other work off this host/);
  });

  it('trials --json has the drift, each trial its ratio to the control and its repeats', async () => {
    const run = await runCli(['trials', '--db', db, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout) as {
      params: Config;
      baseline: string | null;
      repeats: number;
      ratioToControl: { median: number; low: number; high: number } | null;
      drift: { detected: boolean; factor: number; warning: string };
    }[];
    expect(names(rows)).toEqual(['A', 'E', 'B', 'D', 'C', 'F']);
    for (const row of rows) {
      expect(row.drift.detected).toBe(true);
      expect(row.drift.factor).toBeGreaterThan(1.8);
      expect(row.drift.warning).toMatch(/host's speed changed/);
      expect(row.repeats).toBe(3);
      expect(row.ratioToControl!.low).toBeLessThanOrEqual(row.ratioToControl!.median);
      expect(row.ratioToControl!.high).toBeGreaterThanOrEqual(row.ratioToControl!.median);
    }
    // True ratios to the control: A 0.5, B 0.65.
    const a = rows.find((r) => r.params.NAME === 'A')!;
    const b = rows.find((r) => r.params.NAME === 'B')!;
    expect(a.ratioToControl!.median).toBeCloseTo(0.5, 1);
    expect(b.ratioToControl!.median).toBeCloseTo(0.65, 1);
    const text = await runCli(['trials', '--db', db]);
    expect(text.stdout).toMatch(/warning: the host's speed changed during the study/);
    expect(text.stdout).toMatch(/vs control \[95% CI\]/);
  });

  it('summary.json says drift {detected, factor}; best.env says the host changed speed', async () => {
    const out = join(dir, 'out');
    const run = await runCli(['emit', '--db', db, '--out', out]);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.drift.detected).toBe(true);
    expect(summary.drift.factor).toBeGreaterThan(1.8);
    expect(summary.winner.params.NAME).toBe('A');
    const env = readFileSync(join(out, 'best.env'), 'utf8');
    expect(env).toMatch(/^# warning: the host's speed changed during the study: the control \(CTRL\) ran \d\.\d\dx slower/m);
    // The gain over the baseline compares control-normalised search figures, and says so.
    expect(env).toMatch(/# vs CTRL \(trial 0, median [\d.]+ s\): [\d.]+x faster \(search figures, each relative to the control measured near it/);
  });
});

describe('a change of speed under the end of the search', () => {
  it('is seen by the control round that closes the search, and said before the race starts', async () => {
    // CTRL and B run on the quiet host; from the first challenge of A the host is twice as slow. A is
    // not repeated (its one challenge looks 1.5x B's) and no regular control round falls after it.
    const SPEED: Record<string, number> = { CTRL: 2, B: 1.3, C: 1.6, A: 1 };
    let slowFrom = Infinity;
    const time = (c: Config, v: { url: string }, _call: number, tick: number) => {
      if (c.NAME === 'A' && slowFrom === Infinity) slowFrom = tick;
      return SPEED[String(c.NAME)]! * length[v.url]! * (1 + ((tick % 3) - 1) / 200) * (tick >= slowFrom ? 2 : 1);
    };
    const events: string[] = [];
    const { result, trials, measurements: ms } = await runControlledStudy({
      names: ['B', 'C', 'A'],
      time,
      policy: { repeats: { kind: 'auto', maxRepeats: 5 }, racing: DEFAULT_RACE, confirmTop: 1, confirmRepeats: 3 },
      events: { drift: ({ line }) => events.push(line), raceStart: () => events.push('race') },
    });
    expect(trials.find((t) => t.params.NAME === 'A')!.verdict).toMatchObject({ kind: 'clear-loser', challenges: 1 });
    const firstConfirm = ms.findIndex((m) => m.phase === 'confirm');
    const ctrl = trials.find((t) => t.baseline === 'CTRL')!;
    // The two challenges before the race are the control round that closes the search, the study's only one.
    expect(ms.slice(firstConfirm - 2, firstConfirm).map((m) => [m.trialId, m.phase])).toEqual([
      [ctrl.id, 'control'],
      [ctrl.id, 'control'],
    ]);
    expect(ms.filter((m) => m.phase === 'control')).toHaveLength(2);
    expect(result.analysis.drift).toMatchObject({ detected: true, source: 'control' });
    expect(result.analysis.drift.factor).toBeGreaterThan(1.8);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatch(/^warning: the host's speed changed during the study: the control \(CTRL\) ran \d\.\d\dx slower/);
    expect(events[1]).toBe('race');
  });
});

describe('a slow first challenge of a control measured once in its search', () => {
  it('is not drift: the race is set against the control rounds too', async () => {
    // CTRL cannot reach the floor, so its search is one challenge: the study's first, 1.35x slow (a cold
    // process, as the demo's first challenge was). The host is steady after it; the control races as
    // the yardstick. The two videos take as long (as the demo's clips do).
    const SPEED: Record<string, number> = { CTRL: 2, B: 1.3, C: 1.6, A: 1 };
    const time = (c: Config, _v: { url: string }, _call: number, tick: number) => SPEED[String(c.NAME)]! * noise(tick) * (tick === 0 ? 1.35 : 1);
    const { result, trials, measurements: ms } = await runControlledStudy({
      names: ['B', 'C', 'A'],
      time,
      accuracy: (c) => (c.NAME === 'CTRL' ? 0.5 : 1),
      policy: { repeats: { kind: 'auto', maxRepeats: 3 }, racing: DEFAULT_RACE, confirmTop: 2, confirmRepeats: 3 },
    });
    const ctrl = trials.find((t) => t.baseline === 'CTRL')!;
    expect(ms.filter((m) => m.trialId === ctrl.id && m.phase === 'search')).toHaveLength(1);
    expect(ms.filter((m) => m.trialId === ctrl.id && m.phase === 'confirm').length).toBeGreaterThan(0);
    expect(result.analysis.drift.detected).toBe(false);
    expect(result.analysis.rankedBy).toBe('absolute');
  });
});
