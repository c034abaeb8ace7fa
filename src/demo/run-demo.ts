// The built-in demo: lab clips and model (made if missing), the lab server on a shaped link, a short
// study on search-spaces/quick.yaml, the top trials, and the emitted files under one folder.

import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { emitStudy } from '../emit/emit-study.js';
import { writeReport } from '../emit/report.js';
import { isAutotuneError } from '../errors.js';
import { makeClips } from '../lab/clips/index.js';
import { DEFAULT_MODEL_PATH, makeLabDetector } from '../lab/model/index.js';
import { openStorage } from '../store/index.js';
import type { RankedTrial } from '../study/ranking.js';
import { loadRanking, selectStudy } from '../study/select.js';
import { studyNotes } from '../study/notes.js';
import { pipelineEvaluatorFactory } from '../pipeline/factory.js';
import { DEFAULT_RACE, type RepeatPolicy } from '../study/policy.js';
import { runSession, type SessionIo, type SessionSettings } from '../study/session.js';

export interface DemoOptions {
  outDir: string;
  samplesDir: string;
  modelPath: string;
  clips: number;
  frames: number;
  profile: string;
  trials: number;
  repeats: RepeatPolicy;
  timeLimitMs: number | null;
  seed: number;
  accuracyFloor: number;
}

export const DEMO_DEFAULTS: DemoOptions = {
  outDir: 'results/demo',
  samplesDir: 'samples/demo',
  modelPath: DEFAULT_MODEL_PATH,
  clips: 2,
  // 4 s of 720p video per clip keeps the whole demo within a few minutes on a 2-core CPU.
  frames: 100,
  profile: 'fork',
  trials: 10,
  // Adaptive repeats, racing and a control, as `autotune run` does by default.
  repeats: { kind: 'auto', maxRepeats: 3 },
  timeLimitMs: 150_000,
  seed: 1,
  accuracyFloor: 0.98,
};

/** The space the demo searches (apply checks the winner's values against it). */
export const DEMO_SPACE = 'search-spaces/quick.yaml';

export interface DemoResult {
  study: string;
  space: string;
  db: string;
  winner: RankedTrial | null;
  ranking: RankedTrial[];
  /** Drift, control, race and warnings, in words. */
  notes: string[];
  files: string[];
  interrupted: boolean;
  noWinner: string | null;
}

export async function runDemo(options: DemoOptions, io: SessionIo): Promise<DemoResult> {
  const { say } = io;
  if (!existsSync(options.modelPath)) {
    const made = await makeLabDetector({ out: options.modelPath });
    say(`made the lab detector ${made.path}`);
  }
  const clips = Array.from({ length: options.clips }, (_, i) => join(options.samplesDir, `match-${options.seed + i}.mp4`));
  if (!clips.every((c) => existsSync(c))) {
    say(`making ${options.clips} lab clip(s) of ${options.frames} frames (1280x720, 25 fps) in ${options.samplesDir} ...`);
    for (const clip of await makeClips({ count: options.clips, frames: options.frames, seed: options.seed, outDir: options.samplesDir })) {
      say(`  ${clip.path}  ${clip.frames} frames  ${(clip.bytes / 1e6).toFixed(1)} MB`);
    }
  }
  // A demo always starts a fresh study; real studies resume instead (see autotune run).
  const db = join(options.outDir, 'autotune.db');
  for (const suffix of ['', '-wal', '-shm']) await rm(`${db}${suffix}`, { force: true });

  const settings: SessionSettings = {
    space: DEMO_SPACE,
    study: 'demo',
    db,
    sampler: 'tpe',
    seed: options.seed,
    trials: options.trials,
    timeLimitMs: options.timeLimitMs,
    repeats: options.repeats,
    racing: DEFAULT_RACE,
    control: undefined,
    warmup: 0,
    objective: { kind: 'fastest-safe', accuracyFloor: options.accuracyFloor, tMin: 2 },
    confirmTop: 2,
    confirmRepeats: 2,
    device: 'auto',
    source: { kind: 'samples', dir: options.samplesDir, profile: options.profile },
    ca: undefined,
  };
  const outcome = await runSession(settings, pipelineEvaluatorFactory({ model: options.modelPath, device: 'auto' }), io);
  const result: DemoResult = {
    study: outcome.study,
    space: DEMO_SPACE,
    db,
    winner: outcome.result.winner,
    ranking: outcome.result.ranking,
    notes: studyNotes(outcome.result.analysis),
    files: [],
    interrupted: outcome.result.interrupted,
    noWinner: outcome.noWinner,
  };
  if (result.interrupted) return result;
  try {
    result.files = (await emitStudy({ db, study: outcome.study, outDir: options.outDir })).paths;
  } catch (err) {
    if (!isAutotuneError(err, 'E_STUDY')) throw err;
    // No feasible winner: nothing to apply, but the report still shows what each config cost.
    const storage = await openStorage(db);
    try {
      const loaded = await loadRanking(storage, await selectStudy(storage, outcome.study));
      result.files = [await writeReport({ ...loaded, date: new Date() }, join(options.outDir, 'report.html'))];
    } finally {
      await storage.close();
    }
  }
  return result;
}
