// Small bad inputs get one line naming the input, a non-zero exit, and nothing written.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { seedStudy } from '../study/fixtures/seed-study.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-small-'));
const db = join(dir, 'results.db');

beforeAll(async () => {
  await seedStudy(db, 'demo');
});

const oneLine = (stderr: string) => stderr.trim().split('\n');

describe('small bad inputs', () => {
  it.each(['', '   ', ' demo', 'a\tb'])('run --study %j: refused before anything is created', async (name) => {
    const fresh = join(dir, `fresh-${Math.random().toString(16).slice(2)}.db`);
    const run = await runCli(['run', '--study', name, '--db', fresh, '--url', 'http://127.0.0.1:1/x.mp4']);
    expect(run.exitCode).toBe(2);
    expect(oneLine(run.stderr)).toEqual([expect.stringMatching(/^autotune: --study ".*" is not a usable study name \(give a name of visible characters/)]);
    expect(existsSync(fresh)).toBe(false);
  });

  it('trials --study "": refused, not taken as "the only study"', async () => {
    const run = await runCli(['trials', '--db', db, '--study', '']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^autotune: --study "" is not a usable study name/);
  });

  it.each(['-3', '0', '1.5'])('trials --top %s: refused', async (top) => {
    const run = await runCli(['trials', '--db', db, '--top', top]);
    expect(run.exitCode).toBe(2);
    expect(oneLine(run.stderr)).toEqual([`autotune: --top must be a whole number >= 1, got ${top} (e.g. --top 5; leave it out to list every trial)`]);
  });

  it('trials --top 2 lists two', async () => {
    const run = await runCli(['trials', '--db', db, '--top', '2', '--json']);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(2);
  });

  it.each(['abc', '-1', '2x', '1.5'])('show %s: "not a trial number", not "no trial NaN"', async (number) => {
    const run = await runCli(['show', number, '--db', db]);
    expect(run.exitCode).toBe(2);
    expect(oneLine(run.stderr)).toEqual([`autotune: "${number}" is not a trial number (pass a number from the first column of \`autotune trials\`)`]);
  });

  it('show of a number the study does not have names it', async () => {
    const run = await runCli(['show', '999', '--db', db]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/^autotune: study "demo" has no trial 999 /);
  });
});
