// The replay evaluator: seeded draws of the recorded rows (noise replayed, not averaged), phases in
// order, recorded failures, the SN44 estimate rebuilt at the study's t_min, and a config the table
// lacks: a typed error that stops the study, or (--replay-missing fail) a failed trial.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAutotuneError } from '../../src/errors.js';
import { stopsStudy } from '../../src/pipeline/failure.js';
import { ReplayEvaluator, type ReplayEvaluatorOptions } from '../../src/replay/evaluator.js';
import { fitTable } from '../../src/replay/fit.js';
import { parseReplayTable } from '../../src/replay/read.js';
import { sn44FromQuality } from '../../src/score/sn44.js';
import { createSampler, loadSpace, type Config } from '../../src/search/index.js';
import { openStorage, type Storage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';
import { runStudy } from '../../src/study/runner.js';
import { HEADER, PLANTED_SPACE, plantedTable, VIDEOS } from './fixtures/planted.js';

const space = loadSpace(PLANTED_SPACE);
const small: Config = { SIZE: 320, STREAM: 0, POOL: 1 };

function evaluator(text: string, options: Partial<ReplayEvaluatorOptions> = {}): ReplayEvaluator {
  return new ReplayEvaluator(fitTable(parseReplayTable(text, 't.csv'), space), { seed: 1, missing: 'error', tMin: 2, ...options });
}

/** Totals of n challenges of one config on one video. */
async function draws(e: ReplayEvaluator, config: Config, n: number, video = 'clip-a'): Promise<(number | null)[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await e.evaluate(config, { url: video })).timeline.total);
  return out;
}

/** A table of one config on one video: the given (total, phase) rows. */
function oneCell(rows: [number, string][], extra = ''): string {
  return `${HEADER}\n${rows.map(([t, phase], i) => `320,0,,1,clip-a,${i + 1},${t},0.9,1,0,${phase},,0.8${extra}`).join('\n')}\n`;
}

describe('replay evaluator', () => {
  it('draws the recorded rows of a config and video without replacement, in an order the seed decides', async () => {
    const recorded = [3.05, 3.1, 3.2];
    const text = plantedTable((cells) => (cells[0] === '320' && cells[1] === '0' && cells[4] === 'clip-a' ? cells.map((c, j) => (j === 6 ? String(recorded[Number(cells[5]) - 1]) : c)) : cells));
    const first = await draws(evaluator(text, { seed: 5 }), small, 6);
    // Each round of three hands out every recorded time once: the noise, not an average of it.
    expect([...first.slice(0, 3)].sort()).toEqual(recorded);
    expect([...first.slice(3, 6)].sort()).toEqual(recorded);
    expect(first).not.toContain((3.05 + 3.1 + 3.2) / 3);
    // The same seed draws the same sequence; the seeds 1..8 do not all draw the same one.
    expect(await draws(evaluator(text, { seed: 5 }), small, 6)).toEqual(first);
    const orders = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) orders.add(JSON.stringify(await draws(evaluator(text, { seed }), small, 3)));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('keeps a draw count per config and video: another video or config does not move it', async () => {
    const e = evaluator(plantedTable(), { seed: 3 });
    const alone = await draws(evaluator(plantedTable(), { seed: 3 }), small, 3);
    const mixed: (number | null)[] = [];
    for (let i = 0; i < 3; i++) {
      mixed.push((await e.evaluate(small, { url: 'clip-a' })).timeline.total);
      await e.evaluate(small, { url: 'clip-b' });
      await e.evaluate({ SIZE: 640, STREAM: 0, POOL: 1 }, { url: 'clip-a' });
    }
    expect(mixed).toEqual(alone);
  });

  it("draws a phase's rows before the next phase's, in the order the phases first appear", async () => {
    const text = oneCell([[1, 'search'], [9, 'confirm'], [2, 'search'], [8, 'confirm'], [3, 'search']]);
    for (let seed = 1; seed <= 4; seed++) {
      const d = await draws(evaluator(text, { seed }), small, 5);
      expect([...d.slice(0, 3)].sort()).toEqual([1, 2, 3]);
      expect([...d.slice(3)].sort()).toEqual([8, 9]);
    }
  });

  it('returns the recorded figures: accuracy, coverage, a failure with its reason, the SN44 estimate at the study t_min', async () => {
    const text = `${HEADER}\n320,0,,1,clip-a,1,4,0.9,0.5,0,search,,0.7\n320,0,,1,clip-b,1,,,,1,search,stall,\n640,0,,1,clip-a,1,,,,1,search,,\n`;
    const e = evaluator(text, { tMin: 3 });
    const ok = await e.evaluate(small, { url: 'clip-a' });
    expect(ok).toMatchObject({ url: 'clip-a', config: small, accuracy: 0.9, coverage: 0.5, error: null });
    expect(ok.timeline.total).toBe(4);
    expect(ok.sn44).toBeCloseTo(sn44FromQuality(0.7, 4, 3), 12);
    const stalled = await e.evaluate(small, { url: 'clip-b' });
    expect(stalled.error).toEqual({ reason: 'stall', message: 'recorded as failed (t.csv row 3)' });
    expect(stalled.sn44).toBeNull();
    const unexplained = await e.evaluate({ SIZE: 640, STREAM: 0, POOL: 1 }, { url: 'clip-a' });
    expect(unexplained.error).toMatchObject({ reason: 'replay', message: 'recorded as failed (t.csv row 4, no reason given)' });
  });

  it('a config without rows is a typed error naming the config that stops a study; a video without rows names the video', async () => {
    const text = plantedTable((cells) => (cells[0] === '480' ? null : cells));
    const e = evaluator(text);
    const err = await e.evaluate({ SIZE: 480, STREAM: 0, POOL: 1 }, { url: 'clip-a' }).catch((x: unknown) => x);
    expect(isAutotuneError(err, 'E_REPLAY')).toBe(true);
    expect((err as Error).message).toBe('replay table t.csv has no row for config SIZE=480 STREAM=0');
    expect(stopsStudy(err)).toBe(true);
    const video = await e.evaluate(small, { url: 'clip-z' }).catch((x: unknown) => x);
    expect((video as Error).message).toBe('replay table t.csv has no row for video clip-z with config SIZE=320 STREAM=0');
  });

  it('with --replay-missing fail, such a config fails its challenges instead', async () => {
    const e = evaluator(plantedTable((cells) => (cells[0] === '480' ? null : cells)), { missing: 'fail' });
    const result = await e.evaluate({ SIZE: 480, STREAM: 1, START: 2, POOL: 1 }, { url: 'clip-a' });
    expect(result.error).toMatchObject({ reason: 'replay', message: 'replay table t.csv has no row for config SIZE=480 STREAM=1 START=2' });
    expect(e.missing).toBe(1);
  });
});

describe('a study on the replay evaluator', () => {
  const stores: Storage[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  async function study(missing: 'error' | 'fail') {
    const storage = await openStorage(join(mkdtempSync(join(tmpdir(), 'autotune-replay-study-')), 'a.db'));
    stores.push(storage);
    const { study: record } = await openStudy(storage, {
      name: 'replay', spaceFile: PLANTED_SPACE, space, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: {}, host: {},
    });
    // No row for SIZE 480: the grid reaches it within its 8 configs.
    const e = evaluator(plantedTable((cells) => (cells[0] === '480' ? null : cells)), { missing });
    const options = {
      storage, study: record, evaluator: e, videos: VIDEOS.map((url) => ({ url })), space, baselines: space.baselines,
      sampler: createSampler('grid'), seed: 1, trials: 8, timeLimitMs: null, repeats: 2, confirmTop: 1, confirmRepeats: 1,
    };
    return { storage, record, options };
  }

  it('stops with the typed error at the first config the table lacks; the challenges before it are kept', async () => {
    const { storage, record, options } = await study('error');
    const err = await runStudy(options).catch((x: unknown) => x);
    expect(isAutotuneError(err, 'E_REPLAY')).toBe(true);
    expect((err as Error).message).toMatch(/^replay table t\.csv has no row for config SIZE=480 STREAM=/);
    const trials = await storage.listTrials(record.id);
    expect(trials.at(-1)).toMatchObject({ state: 'FAIL', reason: 'the study stopped with an error during this trial' });
    expect(trials.at(-1)!.params.SIZE).toBe(480);
    expect(trials.slice(0, -1).every((t) => t.state === 'COMPLETE')).toBe(true);
    expect(await storage.listMeasurements({ studyId: record.id })).toHaveLength((trials.length - 1) * 4);
  });

  it('a study stopped and resumed with a new evaluator draws what an uninterrupted one draws, race included', async () => {
    const run = async (stopAfter: number | null) => {
      const { storage, record, options } = await study('fail');
      const fresh = () => evaluator(plantedTable(), { missing: 'fail' });
      const stop = new AbortController();
      const events = { trialEnd: ({ trial }: { trial: { number: number } }) => (trial.number === stopAfter ? stop.abort() : undefined) };
      await runStudy({ ...options, evaluator: fresh(), trials: 5, stop: stop.signal, events });
      const before = await storage.listMeasurements({ studyId: record.id });
      if (stopAfter !== null) await runStudy({ ...options, evaluator: fresh(), trials: 5 });
      const trials = new Map((await storage.listTrials(record.id)).map((t) => [t.id, t.number]));
      const drawn = (await storage.listMeasurements({ studyId: record.id })).map((m) => `${trials.get(m.trialId)} ${m.phase} ${m.videoUrl} ${m.timeline.total}`);
      return { before, drawn };
    };
    const whole = await run(null);
    const resumed = await run(2);
    // The stop came before the confirmation race, which then draws the rows the search left.
    expect(resumed.before.length).toBeGreaterThan(0);
    expect(resumed.before.some((m) => m.phase === 'confirm')).toBe(false);
    expect(whole.drawn.some((d) => d.includes(' confirm '))).toBe(true);
    expect(resumed.drawn).toEqual(whole.drawn);
  });

  it('with fail, the study goes on: the configs the table lacks are FAIL trials, the winner comes from the table', async () => {
    const { storage, record, options } = await study('fail');
    const result = await runStudy(options);
    const trials = await storage.listTrials(record.id);
    const lacking = trials.filter((t) => t.params.SIZE === 480);
    expect(lacking.length).toBeGreaterThan(0);
    expect(lacking.every((t) => t.state === 'FAIL' && /replay x4/.test(t.reason ?? ''))).toBe(true);
    // The fastest feasible config of the table (640 with streaming from 2; 320 misses the floor).
    expect(result.winner?.params).toEqual({ SIZE: 640, STREAM: 1, START: 2, POOL: 1 });
  });
});
