// One study, many `autotune run` processes (issue 16 item 2, issue 11 item 9): three workers on one
// PostgreSQL study with the replay evaluator share 300 sampled trials; one is killed with SIGKILL in the
// middle; its trial is failed within the heartbeat timeout and the other two bring the study to 300.
// Then two workers on one SQLite file, with a control: one measures the round that closes the search.
// What is checked is what the store holds afterwards.
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configKey } from '../../src/search/index.js';
import { openStorage, type Storage } from '../../src/store/index.js';
import type { MeasurementRecord, TrialRecord } from '../../src/store/types.js';
import { countsTowardBudget } from '../../src/study/runner.js';
import { cliArgs, runCli } from '../helpers/cli.js';
import { freshDatabase, postgresSkip, sayWhyPostgresSkips } from '../helpers/postgres.js';
import { WORKER_VIDEOS, writeWorkersTable } from '../study/fixtures/workers-table.js';

sayWhyPostgresSkips('the multi-worker run test on PostgreSQL');

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'autotune-workers-cli-'));
const { space, table } = writeWorkersTable(dir);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HEARTBEAT_S = 3;

function worker(storage: string, trials: number, extra: string[] = []): ResultPromise {
  const args = ['run', '--evaluator', 'replay', '--table', table, '--space', space, '--storage', storage, '--study', 'shared'];
  args.push('--trials', String(trials), '--repeats', '1', '--heartbeat-timeout', String(HEARTBEAT_S), ...extra);
  return execa('node', cliArgs(args), { cwd: root, reject: false, stdin: 'ignore', env: { ...process.env, FORCE_COLOR: '0' } });
}

async function studyOf(store: Storage): Promise<{ trials: TrialRecord[]; measurements: MeasurementRecord[] }> {
  const study = await store.getStudy('shared');
  if (!study) return { trials: [], measurements: [] };
  return { trials: await store.listTrials(study.id), measurements: await store.listMeasurements({ studyId: study.id }) };
}

/** The checks every multi-worker study must pass, whatever happened to its workers. */
function checkStudy(trials: TrialRecord[], measurements: MeasurementRecord[], budget: number): void {
  // No trial number twice, none skipped.
  expect(trials.map((t) => t.number)).toEqual([...trials.keys()]);
  // No config RUNNING twice at once: the lives of one config's trials never overlap.
  const byConfig = new Map<string, TrialRecord[]>();
  for (const t of trials) byConfig.set(configKey(t.params), [...(byConfig.get(configKey(t.params)) ?? []), t]);
  for (const same of byConfig.values()) {
    const lives = same.map((t) => [t.startedAt, t.finishedAt ?? '9999', t.number, t.state, t.reason] as const).sort();
    for (let i = 1; i < lives.length; i++) expect(lives[i]![0] >= lives[i - 1]![1], JSON.stringify(lives)).toBe(true);
  }
  // No challenge measured twice: one measurement per trial, phase, video and repeat (control rounds
  // and the race's rounds included).
  const keys = measurements.map((m) => `${m.trialId}/${m.phase}/${m.videoUrl}/${m.repeat}`);
  expect(new Set(keys).size).toBe(keys.length);
  // Every COMPLETE trial has all its measurements: as many search challenges as its verdict counts,
  // one per video at --repeats 1 (a sampled trial here is never stopped early: racing compares blocks).
  const searchOf = new Map<number, number>();
  for (const m of measurements) if (m.phase === 'search') searchOf.set(m.trialId, (searchOf.get(m.trialId) ?? 0) + 1);
  for (const t of trials.filter((t) => t.state === 'COMPLETE')) {
    expect(searchOf.get(t.id) ?? 0).toBe(t.verdict!.challenges);
    expect(t.verdict!.challenges).toBe(WORKER_VIDEOS.length);
  }
  // Each baseline measured by one worker, once.
  const baselines = trials.filter((t) => t.baseline !== null && t.state === 'COMPLETE').map((t) => t.baseline);
  expect(new Set(baselines).size).toBe(baselines.length);
  // Nothing left RUNNING, and the study's budget reached exactly.
  expect(trials.filter((t) => t.state === 'RUNNING')).toEqual([]);
  expect(trials.filter(countsTowardBudget)).toHaveLength(budget);
  // The confirmation race was run by one worker: every confirm measurement's round is unique per
  // trial and video (above), and they all come from one process's claim (see the claims check).
}

/**
 * The workers of a host share its control: the one that ends the search measures the round that
 * closes it, and the other, waiting for that worker's last trial, sees that round and does not measure
 * another one right after it. (Between rounds of the search, the replay's instant challenges let one
 * worker measure many while another's round waits for the file's lock, so gaps there are not checked.)
 */
function checkControlRounds(trials: TrialRecord[], measurements: MeasurementRecord[], controlName: string): void {
  const control = trials.find((t) => t.baseline === controlName && t.state === 'COMPLETE')!;
  const ordered = [...measurements].sort((a, b) => a.id - b.id);
  const rounds = [...new Set(ordered.filter((m) => m.phase === 'control').map((m) => m.repeat))];
  expect(rounds.length).toBeGreaterThanOrEqual(3);
  const first = ordered.findIndex((m) => m.phase === 'control' && m.repeat === rounds.at(-1));
  let gap = 0;
  for (let i = first - 1; i >= 0 && ordered[i]!.trialId !== control.id; i--) gap++;
  expect(gap, 'challenges of other configs before the last control round').toBeGreaterThan(0);
}

describe('one study, many `autotune run` workers', () => {
  it('refuses a heartbeat timeout under a second and a negative --worker-trials, in one line', async () => {
    const base = ['run', '--evaluator', 'replay', '--table', table, '--space', space, '--db', join(dir, 'refused.db')];
    const short = await runCli([...base, '--heartbeat-timeout', '0.5']);
    expect(short.exitCode).toBe(2);
    expect(short.stderr.trim().split('\n')).toHaveLength(1);
    expect(short.stderr).toMatch(/--heartbeat-timeout must be a number of seconds >= 1, got 0.5/);
    const negative = await runCli([...base, '--worker-trials', '-1']);
    expect(negative.exitCode).toBe(2);
    expect(negative.stderr).toMatch(/--worker-trials must be an integer >= 0, got -1/);
  });

  it.skipIf(postgresSkip !== null)(
    'three workers on PostgreSQL, 300 trials in all; one killed with SIGKILL mid-study: its trial FAILs within the heartbeat timeout, the others reach 300',
    async () => {
      const url = await freshDatabase('workers');
      const workers = [worker(url, 300), worker(url, 300), worker(url, 300)];
      const store = await openStorage(url);
      try {
        // Mid-study: once a third of the trials are done, stop the first worker while it holds a
        // RUNNING trial, then kill it outright.
        const victim = workers[0]!;
        let held: TrialRecord | undefined;
        for (let tries = 0; !held; tries++) {
          expect(tries).toBeLessThan(2000);
          const { trials } = await studyOf(store);
          if (trials.filter(countsTowardBudget).length >= 100) {
            victim.kill('SIGSTOP');
            held = (await studyOf(store)).trials.find((t) => t.state === 'RUNNING' && t.workerPid === victim.pid);
            if (!held) victim.kill('SIGCONT');
          }
          if (!held) await sleep(tries < 1000 ? 20 : 100);
        }
        victim.kill('SIGKILL');
        const [killed, ...others] = await Promise.all(workers);
        expect(killed!.signal).toBe('SIGKILL');
        for (const run of others) expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);

        const { trials, measurements } = await studyOf(store);
        checkStudy(trials, measurements, 300);
        // The killed worker's trial was failed by another worker, soon after its last sign of life.
        const failed = trials.find((t) => t.id === held!.id)!;
        expect(failed.state).toBe('FAIL');
        expect(failed.reason).toBe(`no heartbeat for more than ${HEARTBEAT_S} s from its worker (${held.workerHost} pid ${victim.pid})`);
        const silentS = (Date.parse(failed.finishedAt!) - Date.parse(failed.heartbeatAt)) / 1000;
        expect(silentS).toBeGreaterThanOrEqual(HEARTBEAT_S);
        expect(silentS).toBeLessThan(HEARTBEAT_S + 5);
        // All three took part; the two survivors ran the rest.
        const pids = new Set(trials.map((t) => t.workerPid));
        expect(pids).toEqual(new Set(workers.map((w) => w.pid)));
        // One confirmation race, run by one of the survivors: the other one left it (or found it done).
        const said = others.map((r) => String(r.stdout));
        expect(said.filter((out) => /^confirmation race: trials /m.test(out))).toHaveLength(1);
        const racer = said.find((out) => /^confirmation race: trials /m.test(out))!;
        const other = said.find((out) => out !== racer)!;
        expect(racer).toMatch(/^winner: trial/m);
        // The other names no winner while the race runs elsewhere (one that found it done names it).
        expect(other).toMatch(/^(winner: trial|no winner from this worker: the study goes on in )/m);
        expect(measurements.some((m) => m.phase === 'confirm')).toBe(true);
      } finally {
        for (const w of workers) w.kill('SIGKILL');
        await Promise.all(workers);
        await store.close();
      }
    },
    120_000,
  );

  it('two workers on one SQLite file share the study, 40 trials each (--worker-trials): 80 in all, nothing measured twice', async () => {
    const db = join(dir, 'shared.db');
    // Each runs at most 40 of the 80: both take part however their starts are spread.
    const procs = [worker(db, 80, ['--worker-trials', '40', '--control', 'start']), worker(db, 80, ['--worker-trials', '40', '--control', 'start'])];
    const runs = await Promise.all(procs);
    for (const run of runs) expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const store = await openStorage(db);
    try {
      const { trials, measurements } = await studyOf(store);
      checkStudy(trials, measurements, 80);
      checkControlRounds(trials, measurements, 'start');
      for (const p of procs) expect(trials.filter((t) => t.baseline === null && t.workerPid === p.pid && t.state === 'COMPLETE')).toHaveLength(40);
      // One race, run by the worker that completed the study's 80 trials.
      expect(runs.map((r) => String(r.stdout)).filter((out) => /^confirmation race: trials /m.test(out))).toHaveLength(1);
      // Only that worker names a winner; the other says its ranking is from before the race.
      const [racer, other] = [...runs].sort((a, b) => Number(/^confirmation race: trials /m.test(String(b.stdout))) - Number(/^confirmation race: trials /m.test(String(a.stdout)))).map((r) => String(r.stdout));
      expect(racer).toMatch(/^winner: /m);
      expect(other).not.toMatch(/^winner: /m);
      expect(other).toMatch(/^no winner from this worker: the study goes on in (another worker \(\S+ pid \d+\)|the worker that completes the study's trials), which runs the confirmation race and names the winner; the ranking above is from before that$/m);
    } finally {
      await store.close();
    }
    // `trials` names the host of each trial once the study's trials ran on more than one host.
    const oneHost = await runCli(['trials', '--db', db, '--study', 'shared']);
    expect(oneHost.exitCode, oneHost.stderr).toBe(0);
    expect(oneHost.stdout).not.toMatch(/ host /);
    const file = new Database(db);
    file.prepare("UPDATE trials SET worker_host = 'gpu-2' WHERE number % 2 = 1").run();
    file.close();
    const twoHosts = await runCli(['trials', '--db', db, '--study', 'shared']);
    expect(twoHosts.exitCode, twoHosts.stderr).toBe(0);
    const lines = twoHosts.stdout.split('\n');
    const header = lines.find((l) => /^rank +host +trial +state +baseline /.test(l));
    expect(header, twoHosts.stdout).toBeDefined();
    expect(lines.filter((l) => / gpu-2 /.test(l)).length).toBeGreaterThan(0);
    expect(lines.filter((l) => new RegExp(` ${hostname()} `).test(l)).length).toBeGreaterThan(0);
  }, 60_000);
});
