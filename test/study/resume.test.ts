import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { analyseStoredStudy } from '../../src/study/ranking.js';
import type { TrialRecord } from '../../src/store/types.js';

const script = fileURLToPath(new URL('./fixtures/study-script.ts', import.meta.url));
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'autotune-resume-')), 'study.db');

async function snapshot(db: string): Promise<TrialRecord[]> {
  const storage = await openStorage(db, { readonly: true });
  try {
    const study = await storage.getStudy('crash');
    return study ? await storage.listTrials(study.id) : [];
  } finally {
    await storage.close();
  }
}

/** Starts the study in a child process and waits until `ready(stdout)` holds. */
async function startUntil(db: string, trials: number, ready: (stdout: string) => boolean, mode: string[] = []) {
  const child = execa('node', ['--import', 'tsx', script, db, 'crash', String(trials), ...mode], { reject: false, all: true });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (ready(out)) resolve();
    });
    child.on('exit', () => reject(new Error(`child ended early: ${out}`)));
  });
  return { child }; // wrapped: the subprocess is a thenable
}

describe('resume', () => {
  it('after SIGKILL mid-study keeps every finished trial, fails the interrupted one, and numbers on', async () => {
    const db = tempDb();
    const { child } = await startUntil(db, 50, (out) => (out.match(/COMPLETE/g) ?? []).length >= 3);
    // Let the next trial start and store a measurement or two, then kill hard.
    await new Promise((r) => setTimeout(r, 60));
    child.kill('SIGKILL');
    await child;
    const before = await snapshot(db);
    const finished = before.filter((t) => t.state !== 'RUNNING');
    expect(finished.length).toBeGreaterThanOrEqual(3);
    expect(before.filter((t) => t.state === 'RUNNING')).toHaveLength(1);
    const runningNumber = before.find((t) => t.state === 'RUNNING')!.number;

    // --trials counts the study's sampled trials in all: two more than those that finished.
    const sampled = finished.filter((t) => t.baseline === null).length;
    const rerun = await execa('node', ['--import', 'tsx', script, db, 'crash', String(sampled + 2)], { reject: false });
    expect(rerun.stderr).toBe('');
    expect(rerun.exitCode).toBe(0);
    expect(rerun.stdout).toContain(`recovered ${runningNumber}`);
    const after = await snapshot(db);
    for (const t of finished) expect(after.find((a) => a.number === t.number)).toEqual(t);
    expect(after.find((t) => t.number === runningNumber)).toMatchObject({
      state: 'FAIL',
      reason: 'interrupted: process ended while the trial ran',
    });
    expect(after.map((t) => t.number)).toEqual([...Array(after.length).keys()]);
    expect(after.length).toBe(before.length + 2);
    expect(after.every((t) => t.state !== 'RUNNING')).toBe(true);
    // The baseline finished before the crash, so the re-run did not measure it again.
    expect(after.filter((t) => t.baseline === 'DEFAULT')).toHaveLength(1);
  });

  it('after SIGKILL in the confirmation race, the same command continues the race where it stopped', async () => {
    const db = tempDb();
    // 8 sampled trials, then a race of up to 8 rounds; killed in its fourth round, after it dropped some.
    const { child } = await startUntil(db, 8, (out) => (out.match(/^confirm /gm) ?? []).length >= 33, ['race']);
    child.kill('SIGKILL');
    await child;
    const storage = await openStorage(db, { readonly: true });
    const study = (await storage.getStudy('crash'))!;
    const all = await storage.listMeasurements({ studyId: study.id });
    const before = all.filter((m) => m.phase === 'confirm');
    const trialsBefore = await storage.listTrials(study.id);
    await storage.close();
    expect(before.length).toBeGreaterThanOrEqual(33);
    const raceBefore = analyseStoredStudy(study, trialsBefore, all).race;
    expect(raceBefore.dropped.length).toBeGreaterThan(0);

    const rerun = await execa('node', ['--import', 'tsx', script, db, 'crash', '8', 'race'], { reject: false });
    expect(rerun.stderr).toBe('');
    expect(rerun.exitCode).toBe(0);
    const after = await openStorage(db, { readonly: true });
    const confirm = await after.listMeasurements({ studyId: study.id, phase: 'confirm' });
    const trials = await after.listTrials(study.id);
    await after.close();
    // No new trial: the budget was spent before the race; what was measured stays.
    expect(trials.map((t) => t.number)).toEqual(trialsBefore.map((t) => t.number));
    expect(confirm.slice(0, before.length)).toEqual(before);
    // The rerun measured only race challenges it had not measured: each (trial, video, round) once.
    const key = (m: { trialId: number; videoUrl: string; repeat: number }) => `${m.trialId} ${m.videoUrl} ${m.repeat}`;
    expect(new Set(confirm.map(key)).size).toBe(confirm.length);
    const firstNew = confirm[before.length]!;
    const lastRoundBefore = Math.max(...before.map((m) => m.repeat));
    expect([lastRoundBefore, lastRoundBefore + 1]).toContain(firstNew.repeat);
    // What the race dropped before the kill stays dropped: not one challenge more.
    const number = new Map(trials.map((t) => [t.id, t.number]));
    const measuredAfter = new Set(confirm.slice(before.length).map((m) => number.get(m.trialId)));
    for (const dropped of raceBefore.dropped) expect(measuredAfter.has(dropped)).toBe(false);
    expect(Math.max(...confirm.map((m) => m.repeat))).toBeGreaterThan(lastRoundBefore);
    expect(rerun.stdout).toMatch(/done trials/);
  });

  it('on SIGINT finishes the current challenge, prunes the trial, keeps the rest, exits 130', async () => {
    const db = tempDb();
    const { child } = await startUntil(db, 50, (out) => (out.match(/COMPLETE/g) ?? []).length >= 2);
    await new Promise((r) => setTimeout(r, 60));
    child.kill('SIGINT');
    const run = await child;
    expect(run.exitCode).toBe(130);
    expect(String(run.stdout)).toContain('done interrupted');
    const trials = await snapshot(db);
    expect(trials.filter((t) => t.state === 'COMPLETE').length).toBeGreaterThanOrEqual(2);
    expect(trials.at(-1)).toMatchObject({ state: 'PRUNED' });
    expect(trials.at(-1)!.reason).toMatch(/^interrupted by the user after \d\/4 challenges$/);
    expect(trials.some((t) => t.state === 'RUNNING')).toBe(false);
  });
});
