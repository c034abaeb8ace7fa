// One link profile of the benchmark: the lab server in-process with that profile, a budgeted study
// (the project's runner: baselines, TPE trials, confirmation race) to find a winner, then the
// space's baselines and the winner side by side, then the floor ratios.

import { DEFAULT_RACE } from '../../src/study/policy.js';
import { pipelineEvaluatorFactory } from '../../src/pipeline/factory.js';
import { configKey, type Space } from '../../src/search/index.js';
import type { ObjectiveSpec } from '../../src/store/types.js';
import { createProgress } from '../../src/study/progress.js';
import type { RankedTrial } from '../../src/study/ranking.js';
import { noWinnerReport } from '../../src/study/report.js';
import { openSession } from '../../src/study/session.js';
import type { BenchClip } from './assets.js';
import { measureFloor, type FloorResult, type StageCache } from './floor.js';
import type { BenchSettings } from './options.js';
import { runSideBySide, type ChallengeRecord, type Contender, type ContenderFigures } from './side-by-side.js';

export interface StudySummary {
  db: string;
  name: string;
  stopReason: string;
  trialsRun: number;
  seconds: number;
  /** The winner as the study chose it; null when no trial was feasible. */
  winner: { number: number; baseline: string | null; params: Record<string, unknown>; median: number | null; phase: string } | null;
  /** Why there is no feasible winner, when there is none. */
  noWinner: string | null;
  ranking: Pick<RankedTrial, 'rank' | 'number' | 'baseline' | 'state' | 'feasible' | 'median' | 'accuracy' | 'phase' | 'why' | 'params'>[];
}

export interface ProfileResult {
  profile: string;
  link: { rateMbps: number | null; rttMs: number };
  study: StudySummary;
  contenders: ContenderFigures[];
  challenges: ChallengeRecord[];
  sideBySideSeconds: number;
  floor: Record<string, FloorResult | null>;
  floorSeconds: number;
}

export async function benchProfile(o: {
  profile: string;
  settings: BenchSettings;
  clipsDir: string;
  clips: BenchClip[];
  dbPath: string;
  stageCache: StageCache;
  say: (line: string) => void;
}): Promise<ProfileResult> {
  const { settings, say } = o;
  const objective: ObjectiveSpec = { kind: 'fastest-safe', accuracyFloor: settings.accuracyFloor, tMin: settings.tMin };
  const name = `bench-${o.profile}`;
  // The study's own session: the lab server with this profile, the store, the pipeline evaluator.
  const session = await openSession(
    {
      space: settings.space,
      study: name,
      db: o.dbPath,
      sampler: 'tpe',
      seed: settings.seed,
      trials: settings.trials,
      timeLimitMs: null,
      repeats: { kind: 'fixed', repeats: settings.studyRepeats },
      racing: DEFAULT_RACE,
      control: undefined,
      warmup: 0,
      objective,
      confirmTop: settings.confirmTop,
      confirmRepeats: settings.confirmRepeats,
      device: settings.device,
      source: { kind: 'samples', dir: o.clipsDir, profile: o.profile, names: o.clips.map((c) => c.name) },
      ca: undefined,
    },
    pipelineEvaluatorFactory({ model: settings.model, device: settings.device }),
    { say: (line) => say(`  ${line}`), warn: say, tty: false },
  );
  const { evaluator, videos, space } = session;
  const server = session.server!;
  try {
    say(`lab server ${server.httpsUrl} (profile ${o.profile}: ${server.profile.rateMbps ?? 'unlimited'} Mbit/s, RTT ${server.profile.rttMs} ms)`);
    for (const v of videos) {
      const ref = await evaluator.reference(v);
      if (!ref) say(`  warning: no reference answer for ${v.url}: accuracy cannot be scored`);
    }

    // 1. The budgeted study.
    const studyStart = Date.now();
    say(`study ${name}: ${space.baselines.length} baselines + ${settings.trials} TPE trials (seed ${settings.seed}), ${videos.length} video(s) x ${settings.studyRepeats} repeat(s)`);
    const progress = createProgress({ tty: false, objective: 'fastest-safe', write: (line) => say(`  ${line}`) });
    const run = await session.run({ events: progress.events });
    progress.stop();
    const noWinner = noWinnerReport(run.ranking);
    const w = run.winner;
    const studySummary: StudySummary = {
      db: o.dbPath,
      name,
      stopReason: run.stopReason,
      trialsRun: run.trialsRun,
      seconds: (Date.now() - studyStart) / 1000,
      winner: w ? { number: w.number, baseline: w.baseline, params: w.params, median: w.median, phase: w.phase } : null,
      noWinner,
      ranking: run.ranking.map((r) => ({
        rank: r.rank,
        number: r.number,
        baseline: r.baseline,
        state: r.state,
        feasible: r.feasible,
        median: r.median,
        accuracy: r.accuracy,
        phase: r.phase,
        why: r.why,
        params: r.params,
      })),
    };
    say(
      w
        ? `study winner: trial ${w.number}${w.baseline ? ` (baseline ${w.baseline})` : ''}, median ${w.median?.toFixed(3)} s (${w.phase}), ${JSON.stringify(w.params)}`
        : `study found no feasible winner:\n${noWinner}`,
    );

    // 2. Side by side: the baselines and the winner, interleaved. Without a feasible winner, the
    //    study's best-ranked trial stands in (labelled as infeasible) so the ratios still say something.
    const standIn = w ? null : (run.ranking.find((r) => r.state === 'COMPLETE' && r.median !== null) ?? null);
    if (standIn) say(`no feasible winner: trial ${standIn.number} (ranked first, ${standIn.why}) stands in for it`);
    const contenders = contendersOf(space, w ?? standIn, w === null);
    const sideStart = Date.now();
    say(`side by side: ${contenders.map((c) => c.label).join(', ')}; ${settings.repeats} repeats x ${videos.length} video(s)`);
    const side = await runSideBySide({ evaluator, contenders, videos, repeats: settings.repeats, objective, say });
    const sideBySideSeconds = (Date.now() - sideStart) / 1000;

    // 3. Floor ratios on the first clip.
    const floorStart = Date.now();
    const floor: Record<string, FloorResult | null> = {};
    for (const row of side.figures) {
      const c = row.contender;
      if (settings.floor === 'none' || (settings.floor === 'winner' && c.kind !== 'winner')) continue;
      const url = videos[0]!.url;
      const total = row.totalByVideo[url];
      const frames = row.framesAnsweredByVideo[url];
      if (total === undefined || frames === undefined) {
        floor[c.label] = { video: url, error: 'no successful challenge on this video' };
        continue;
      }
      say(`floor: ${c.label}: download, decode and inference alone...`);
      floor[c.label] = await measureFloor({
        config: c.config,
        url,
        localPath: o.clips[0]!.path,
        ca: server.ca,
        modelPath: settings.model,
        device: settings.device,
        total,
        framesInferred: frames,
        cache: o.stageCache,
      });
      const f = floor[c.label]!;
      say(
        f.error !== undefined
          ? `  failed: ${f.error}`
          : `  total ${f.total.toFixed(3)} s; download ${f.download.toFixed(3)} s, decode ${f.decode.toFixed(3)} s, inference ${f.infer.toFixed(3)} s (${f.framesInferred} frames) -> ${f.ratio.toFixed(2)}x`,
      );
    }
    return {
      profile: o.profile,
      link: { rateMbps: server.profile.rateMbps, rttMs: server.profile.rttMs },
      study: studySummary,
      contenders: side.figures,
      challenges: side.records,
      sideBySideSeconds,
      floor,
      floorSeconds: (Date.now() - floorStart) / 1000,
    };
  } finally {
    await session.close();
  }
}

/** The space's baselines, then the winner (merged into its baseline's row when it is one). */
function contendersOf(space: Space, winner: RankedTrial | null, infeasible: boolean): Contender[] {
  const contenders: Contender[] = space.baselines.map((b) => ({ label: b.name, aliases: [], kind: 'baseline', config: b.config }));
  if (!winner) return contenders;
  const label = infeasible ? `best infeasible (trial ${winner.number})` : `winner (trial ${winner.number})`;
  const key = configKey(winner.params);
  const same = contenders.find((c) => configKey(c.config) === key);
  if (same) {
    same.kind = 'winner';
    same.aliases.push(label);
    return contenders;
  }
  contenders.push({ label, aliases: [], kind: 'winner', config: winner.params });
  return contenders;
}
