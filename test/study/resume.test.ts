import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
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
async function startUntil(db: string, trials: number, ready: (stdout: string) => boolean) {
  const child = execa('node', ['--import', 'tsx', script, db, 'crash', String(trials)], { reject: false, all: true });
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
