// The host is a factor: one study measured on two hosts (AUTOTUNE_HOST_NAME plays each, the replay
// evaluator measures each host's own table, written to one path in turn; host B is 2x slower and streaming costs it time instead
// of saving it). Every row's figures are its own host's, `trials --by-host` ranks each host apart,
// `emit --host` writes each host's own winner, emit without it names the hosts, the report has a
// section per host.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { PLANTED_SPACE, plantedTime, writePlanted, type PlantedConfig } from '../replay/fixtures/planted.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-hosts-'));
const db = join(dir, 'fleet.db');

/** Host B: twice as slow, and streaming adds half a second (scaled) where it saves it on host A. */
const timeOn = (host: 'host-a' | 'host-b', c: PlantedConfig) => (host === 'host-a' ? plantedTime(c) : 2 * (plantedTime(c) + (c.STREAM ? 1 : 0)));

function table(host: 'host-a' | 'host-b'): string {
  // One path: a study is measured by one evaluator, and a replay evaluator is named by its table.
  return writePlanted(join(dir, 'table.csv'), (cells) => {
    if (host === 'host-a') return cells;
    const c: PlantedConfig = { SIZE: Number(cells[0]), STREAM: Number(cells[1]), ...(cells[2] ? { START: Number(cells[2]) } : {}) };
    const noise = Number(cells[6]) - plantedTime(c);
    return cells.map((v, j) => (j === 6 ? String(Number((timeOn('host-b', c) + 2 * noise).toFixed(3))) : v));
  });
}

async function runOn(host: 'host-a' | 'host-b') {
  const run = await runCli(
    ['run', '--evaluator', 'replay', '--table', table(host), '--space', PLANTED_SPACE, '--db', db, '--study', 'fleet',
      '--sampler', 'grid', '--trials', '8', '--repeats', '3', '--racing', 'off', '--confirm-repeats', '0',
      '--control', 'slow-default'],
    { env: { ...process.env, FORCE_COLOR: '0', AUTOTUNE_HOST_NAME: host } },
  );
  expect(run.exitCode, run.stderr).toBe(0);
}

interface Row {
  rank: number;
  host: string;
  params: PlantedConfig;
  median: number | null;
  feasible: boolean;
  baseline: string | null;
  ratioToControl: { median: number } | null;
}

describe('a study measured on two hosts', () => {
  beforeAll(async () => {
    await runOn('host-a');
    await runOn('host-b');
  }, 120_000);

  it('never mixes the hosts: every row carries its host and that host\'s own figures; each host has its own control', async () => {
    const all = await runCli(['trials', '--db', db, '--json']);
    expect(all.exitCode, all.stderr).toBe(0);
    const rows = JSON.parse(all.stdout) as Row[];
    expect(new Set(rows.map((r) => r.host))).toEqual(new Set(['host-a', 'host-b']));
    for (const r of rows.filter((r) => r.median !== null)) {
      // The recorded noise is within +-0.1 s (x2 on host B) and clip-b adds 0.05 s: a median pooled
      // across hosts would be far off both.
      expect(Math.abs(r.median! - timeOn(r.host as 'host-a', r.params)), JSON.stringify(r)).toBeLessThan(0.3);
    }
    // The baseline ran on each host (its control there): one row per host.
    expect(rows.filter((r) => r.baseline === 'slow-default').map((r) => r.host).sort()).toEqual(['host-a', 'host-b']);
    expect(rows.every((r) => r.ratioToControl !== null)).toBe(true);
    // Across hosts the order is by the ratio to each host's own control.
    const feasible = rows.filter((r) => r.feasible);
    const ratios = feasible.map((r) => r.ratioToControl!.median);
    expect(ratios).toEqual([...ratios].sort((a, b) => a - b));

    const text = await runCli(['trials', '--db', db]);
    expect(text.stdout).toMatch(/hosts: host-a, host-b: every figure is one host's/);
    expect(text.stdout).toMatch(/host host-a: control: slow-default/);
    expect(text.stdout).toMatch(/host host-b: control: slow-default/);
  });

  it('trials --by-host shows one ranking per host, each ranked on its own figures', async () => {
    const text = await runCli(['trials', '--db', db, '--by-host']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^host host-a: 9 trials/m);
    expect(text.stdout).toMatch(/^host host-b: 9 trials/m);
    const json = JSON.parse((await runCli(['trials', '--db', db, '--by-host', '--json'])).stdout) as Row[];
    for (const host of ['host-a', 'host-b'] as const) {
      const mine = json.filter((r) => r.host === host);
      expect(mine.map((r) => r.rank)).toEqual(mine.map((_, i) => i + 1));
      const medians = mine.filter((r) => r.feasible).map((r) => r.median!);
      expect(medians).toEqual([...medians].sort((a, b) => a - b));
    }
    const one = JSON.parse((await runCli(['trials', '--db', db, '--host', 'host-b', '--json'])).stdout) as Row[];
    expect(one.every((r) => r.host === 'host-b')).toBe(true);
    const unknown = await runCli(['trials', '--db', db, '--host', 'host-c']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/--host host-c: no trial of study "fleet" was measured on it.*host-a, host-b/);
  });

  it("emit --host writes each host's own winner; without --host it names the hosts and writes nothing", async () => {
    const refused = await runCli(['emit', '--db', db, '--out', join(dir, 'none')]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/measured on 2 hosts: host-a, host-b.*--host host-a/);

    const a = await runCli(['emit', '--db', db, '--host', 'host-a', '--out', join(dir, 'a')]);
    expect(a.exitCode, a.stderr).toBe(0);
    const envA = readFileSync(join(dir, 'a', 'best.env'), 'utf8');
    // Host A's fastest accuracy-safe config: 480 with streaming from frame 2 (4.1 s).
    expect(envA).toMatch(/^export SIZE=480$/m);
    expect(envA).toMatch(/^export STREAM=1$/m);
    expect(envA).toMatch(/^export START=2$/m);
    expect(envA).toMatch(/host: host-a/);

    const b = await runCli(['emit', '--db', db, '--host', 'host-b', '--out', join(dir, 'b')]);
    expect(b.exitCode, b.stderr).toBe(0);
    const envB = readFileSync(join(dir, 'b', 'best.env'), 'utf8');
    // On host B streaming costs time: 480 without it.
    expect(envB).toMatch(/^export SIZE=480$/m);
    expect(envB).toMatch(/^export STREAM=0$/m);
    const summaryB = JSON.parse(readFileSync(join(dir, 'b', 'summary.json'), 'utf8')) as { trials: Row[] };
    expect(summaryB.trials.every((r) => r.host === 'host-b')).toBe(true);
  });

  it('the report has a section per host', async () => {
    const out = join(dir, 'report.html');
    const report = await runCli(['report', '--db', db, '--out', out]);
    expect(report.exitCode, report.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Ranking on host host-a');
    expect(html).toContain('Ranking on host host-b');
  }, 60_000);

  it('run --warm-start-from: a new host measures the study\'s best first; an unknown source is one line', async () => {
    const env = { ...process.env, FORCE_COLOR: '0', AUTOTUNE_HOST_NAME: 'host-c' };
    const base = ['run', '--evaluator', 'replay', '--table', table('host-a'), '--space', PLANTED_SPACE, '--db', db, '--repeats', '2', '--confirm-repeats', '0'];
    const missing = await runCli([...base, '--study', 'fresh', '--warm-start-from', 'nope', '--trials', '2'], { env });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^autotune: --warm-start-from nope: no such study in .*fleet\.db \(.*the store's studies: fleet\)$/);
    const run = await runCli([...base, '--study', 'fresh', '--warm-start-from', 'fleet', '--warm-start-top', '2', '--trials', '3'], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    const named = /warm start from study fleet: its 18 finished trial\(s\) inform the sampler \(not this study's ranking\); its best, trial\(s\) (\d+), (\d+), are measured on this host first/.exec(run.stdout);
    expect(named, run.stdout).not.toBeNull();
    const source = JSON.parse((await runCli(['trials', '--db', db, '--study', 'fleet', '--json'])).stdout) as (Row & { number: number })[];
    const fresh = JSON.parse((await runCli(['trials', '--db', db, '--study', 'fresh', '--json'])).stdout) as (Row & { number: number })[];
    const bestTwo = [Number(named![1]), Number(named![2])].map((n) => source.find((r) => r.number === n)!.params);
    // The baseline (this host's control) is trial 0; the re-measured configs come next, best first.
    const byNumber = [...fresh].sort((x, y) => x.number - y.number);
    expect(byNumber[0]!.baseline).toBe('slow-default');
    expect(byNumber.slice(1, 3).map((r) => r.params)).toEqual(bestTwo);
    expect(fresh.every((r) => r.host === 'host-c')).toBe(true);
    expect(fresh).toHaveLength(4);
  }, 60_000);
});
