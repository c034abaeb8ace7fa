// A trial stopped after one challenge has one figure: no interval. The tables, the report, best.env
// and the JSON say so instead of printing that figure as an interval of zero width.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/pipeline/types.js';
import { DEFAULT_RACE } from '../../src/study/policy.js';
import type { StudyRunResult } from '../../src/study/runner.js';
import { runCli } from '../helpers/cli.js';
import { runControlledStudy } from './fixtures/controlled-study.js';

const SPEED: Record<string, number> = { CTRL: 2, B: 1.3, C: 1.9, A: 1 };
const noise = (tick: number) => 1 + (((tick * 37) % 7) - 3) / 100;
let db: string;
let result: StudyRunResult;

beforeAll(async () => {
  // C is behind the best on its first challenge and is not repeated; A and B get two or more each.
  const study = await runControlledStudy({
    names: ['B', 'A', 'C'],
    time: (c: Config, _v, _call, tick) => SPEED[String(c.NAME)]! * noise(tick),
    policy: { repeats: { kind: 'auto', maxRepeats: 3 }, racing: { ...DEFAULT_RACE, enabled: false }, confirmTop: 0, confirmRepeats: 0 },
  });
  db = study.db;
  result = study.result;
});

describe('a trial measured once', () => {
  it('has no interval of its median, and its ratio to the control says it rests on one pair', () => {
    const c = result.analysis.ranking.find((r) => r.params.NAME === 'C')!;
    expect(c.challenges).toBe(1);
    expect(c.median).not.toBeNull();
    expect(c.interval).toBeNull();
    expect(c.ratioToControl).toMatchObject({ n: 1, low: null, high: null });
    const a = result.analysis.ranking.find((r) => r.params.NAME === 'A')!;
    expect(a.interval!.high).toBeGreaterThan(a.interval!.low);
  });

  it('is not called tied with the best: one figure against the best\'s four, the rank test cannot tell any two apart', () => {
    const { ranking, winner } = result.analysis;
    expect(winner!.params.NAME).toBe('A');
    expect(winner!.challenges).toBeGreaterThanOrEqual(4);
    const c = ranking.find((r) => r.params.NAME === 'C')!;
    expect(c.feasible).toBe(true);
    expect(c.pVsBest).toBeNull();
    expect(c.tiedWithBest).toBe(false);
    // B has figures enough for the test, and is judged by it.
    const b = ranking.find((r) => r.params.NAME === 'B')!;
    expect(b.challenges).toBeGreaterThanOrEqual(4);
    expect(b.pVsBest).not.toBeNull();
  });

  it('shows "-" and "[1 pair]" in trials, null in --json', async () => {
    const text = await runCli(['trials', '--db', db]);
    expect(text.exitCode, text.stderr).toBe(0);
    const row = text.stdout.split('\n').find((l) => l.includes('NAME=C'))!;
    expect(row).toMatch(/^\s*\d+ /); // its rank, without the '=' of a tie
    expect(row).toMatch(/s srch\s+-\s/);
    expect(row).toMatch(/\d\.\d\d \[1 pair\]/);
    const json = await runCli(['trials', '--db', db, '--json']);
    const c = (JSON.parse(json.stdout) as { params: Config; interval: unknown; ratioToControl: { n: number; low: unknown } }[]).find((r) => r.params.NAME === 'C')!;
    expect(c.interval).toBeNull();
    expect(c.ratioToControl).toMatchObject({ n: 1, low: null, high: null });
    const show = await runCli(['show', '--db', db, String(result.analysis.ranking.find((r) => r.params.NAME === 'C')!.number)]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/vs control: \d\.\d{3}x over 1 pair/);
  });

  it('the report shows the one figure without brackets', async () => {
    const out = join(dirname(db), 'out');
    const emit = await runCli(['emit', '--db', db, '--out', out]);
    expect(emit.exitCode, emit.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.rankTest.untested).toMatch(/pVsBest is null/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const row = html.split('<tr').find((r) => r.includes('NAME=C'))!;
    expect(row).not.toMatch(/\[[\d.]+, [\d.]+\]/);
    const a = html.split('<tr').find((r) => r.includes('NAME=A'))!;
    expect(a).toMatch(/\[[\d.]+, [\d.]+\]/);
  });
});
