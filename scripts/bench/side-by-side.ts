// The side-by-side run: every contender measured in one interleaved run (each repeat visits every
// video, each video every contender, the order rotating per repeat, as the study's confirmation race
// does), so drift in the machine's load hits every contender alike.

import type { ChallengeDetail } from '../../src/pipeline/challenge/run.js';
import type { PipelineEvaluator } from '../../src/pipeline/evaluator.js';
import type { StageDurations } from '../../src/pipeline/challenge/timeline.js';
import { challengeFigures } from '../../src/pipeline/result.js';
import type { ChallengeFigures, Config, VideoRef } from '../../src/pipeline/types.js';
import type { ObjectiveSpec } from '../../src/store/types.js';
import { thrownResult } from '../../src/study/measurement.js';
import { evaluateObjective, type TrialFigures } from '../../src/study/objective.js';
import { median } from '../../src/study/stats.js';

export interface Contender {
  /** Row label, e.g. "fork-default" or "winner (trial 7)". */
  label: string;
  /** Other names this config goes by (a winner that is a baseline). */
  aliases: string[];
  kind: 'baseline' | 'winner';
  config: Config;
}

/** One challenge of the run, as saved in the JSON file (the answer itself left out). */
export interface ChallengeRecord extends ChallengeFigures {
  contender: string;
  video: string;
  repeat: number;
  /** Position in the run (0-based). */
  order: number;
  stages: StageDurations | null;
}

export interface ContenderFigures {
  contender: Contender;
  /** The study objective's figures over this run (median, bootstrap interval, accuracy, ...). */
  figures: Omit<TrialFigures, 'totals' | 'sn44s'>;
  /** This contender's median total / the winner's (> 1: the winner is faster); null when either is missing. */
  ratioToWinner: number | null;
  /** Median frames answered per video URL (for inference alone). */
  framesAnsweredByVideo: Record<string, number>;
  /** Median total per video URL (for the floor ratio). */
  totalByVideo: Record<string, number>;
}

export async function runSideBySide(o: {
  evaluator: PipelineEvaluator;
  contenders: Contender[];
  videos: VideoRef[];
  repeats: number;
  objective: ObjectiveSpec;
  say: (line: string) => void;
}): Promise<{ records: ChallengeRecord[]; figures: ContenderFigures[] }> {
  const { contenders, videos } = o;
  const records: ChallengeRecord[] = [];
  const planned = o.repeats * videos.length * contenders.length;
  for (let repeat = 1; repeat <= o.repeats; repeat++) {
    for (const video of videos) {
      for (let i = 0; i < contenders.length; i++) {
        const c = contenders[(i + repeat - 1) % contenders.length]!;
        let result: ChallengeDetail;
        try {
          result = await o.evaluator.evaluate(c.config, video);
        } catch (err) {
          result = { ...thrownResult(c.config, video, err), stages: null } as unknown as ChallengeDetail;
        }
        records.push(recordOf(c.label, video.url, repeat, records.length, result));
        const name = decodeURIComponent(video.url.split('/').pop() ?? video.url);
        o.say(
          `  [${records.length}/${planned}] ${c.label.padEnd(18)} ${name} r${repeat}: ` +
            (result.error
              ? `FAILED ${result.error.reason}: ${result.error.message}`
              : `${result.timeline.total?.toFixed(3)} s, F1 ${result.accuracy?.toFixed(3) ?? '-'}, ${result.framesAnswered} frames`),
        );
      }
    }
  }
  return { records, figures: figuresOf(contenders, records, o.objective) };
}

function figuresOf(contenders: Contender[], records: ChallengeRecord[], objective: ObjectiveSpec): ContenderFigures[] {
  const rows = contenders.map((contender, i) => {
    const own = records.filter((r) => r.contender === contender.label);
    const { totals: _totals, sn44s: _sn44s, ...figures } = evaluateObjective(
      own.map((r) => ({
        videoUrl: r.video,
        total: r.timeline.total,
        accuracy: r.accuracy,
        coverage: r.coverage,
        truthF1: r.truthF1,
        sn44: r.sn44,
        error: r.error,
      })),
      objective,
      i + 1,
    );
    const perVideo = (pick: (r: ChallengeRecord) => number | null) => {
      const out: Record<string, number> = {};
      for (const url of new Set(own.map((r) => r.video))) {
        const values = own.filter((r) => r.video === url && r.error === null).map(pick).filter((v): v is number => v !== null);
        const m = median(values);
        if (m !== null) out[url] = m;
      }
      return out;
    };
    return {
      contender,
      figures,
      ratioToWinner: null as number | null,
      framesAnsweredByVideo: perVideo((r) => r.framesAnswered),
      totalByVideo: perVideo((r) => r.timeline.total),
    };
  });
  const winner = rows.find((r) => r.contender.kind === 'winner');
  const w = winner?.figures.median ?? null;
  for (const row of rows) row.ratioToWinner = w !== null && row.figures.median !== null ? row.figures.median / w : null;
  return rows;
}

function recordOf(contender: string, video: string, repeat: number, order: number, r: ChallengeDetail): ChallengeRecord {
  return { contender, video, repeat, order, stages: r.stages ?? null, ...challengeFigures(r) };
}
