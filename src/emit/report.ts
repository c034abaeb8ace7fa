// report.html: builds the report's data from a study and renders it (src/report/).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { MeasurementRecord, StudyRecord, TrialRecord } from '../store/types.js';
import type { RankedTrial, StudyAnalysis } from '../study/ranking.js';
import { acrossHostsLine } from '../study/hosts.js';
import { describeMeasuredBy } from '../study/measured-by.js';
import { studyNotes } from '../study/notes.js';
import { directionOf } from '../study/objective.js';
import { sn44Quality } from '../score/sn44.js';
import { renderReportHtml } from '../report/html.js';
import { videoName } from '../util/format.js';
import type { ReportData, ReportTrial } from '../report/model.js';
import { medianBreakdown, stageBreakdown } from '../report/stages.js';
import type { StageBreakdown } from '../report/model.js';
import type { EmitContext, Emitter } from './emitter.js';

export interface ReportSource {
  study: StudyRecord;
  trials: TrialRecord[];
  measurements: MeasurementRecord[];
  ranking: RankedTrial[];
  analysis: StudyAnalysis;
  date: Date;
  /** The host the trials were picked from (emit --host), else null. */
  host?: string | null;
  /** A study of several hosts: each host's own ranking, one report section each. */
  perHost?: { host: string; ranking: RankedTrial[]; analysis: StudyAnalysis }[];
}

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

// The store keeps each challenge's final SN44 estimate, not its parts. The quality part is
// recovered from it with the study's t_min (see sn44Quality).
function qualityOf(m: MeasurementRecord, tMin: number): number | null {
  if (m.sn44 === null || m.timeline.total === null) return null;
  return Math.min(1, Math.max(0, sn44Quality(m.sn44, m.timeline.total, tMin)));
}

export function buildReportData(source: ReportSource): ReportData {
  const { study, ranking, date, analysis } = source;
  const tMin = study.objective.tMin;
  const winner = analysis.winner?.number ?? null;
  const trials = reportTrials(source, ranking);
  const space = study.space as { params?: { name: string }[] } | null;
  const host = source.host ?? (analysis.acrossHosts ? analysis.acrossHosts.hosts.join(', ') : (source.ranking[0]?.host ?? (study.host as { hostname?: string } | null)?.hostname ?? hostname()));
  const notes = [describeMeasuredBy(study.settings).line, ...(trials.some((t) => t.rank !== null) ? [] : ['no trial finished'])];
  if (winner === null && !analysis.acrossHosts) notes.push('no feasible trial: nothing met the accuracy floor without a failed challenge');
  const across = acrossHostsLine(analysis);
  if (across) notes.push(across);
  else notes.push(...studyNotes(analysis));
  const drift = analysis.drift;
  return {
    study: study.name,
    objective: study.objective.kind === 'sn44' ? `sn44 (t_min ${tMin} s)` : `fastest-safe (accuracy >= ${study.objective.accuracyFloor} x reference)`,
    direction: directionOf(study.objective),
    space: study.spaceFile,
    host,
    created: study.createdAt,
    generated: date.toISOString(),
    tMin,
    winner,
    trials,
    knobs: space?.params?.map((p) => p.name) ?? [],
    notes,
    drift: { detected: drift.detected, factor: drift.factor, threshold: drift.threshold },
    rankedBy: analysis.rankedBy,
    control: analysis.control
      ? {
          name: analysis.control.name,
          points: drift.points.map((p, index) => ({
            index,
            video: videoName(p.videoUrl),
            phase: p.phase,
            total: p.total,
            normalised: p.normalised,
            rolling: p.rolling,
          })),
        }
      : null,
    hosts:
      source.perHost && source.perHost.length > 1
        ? source.perHost.map((h) => ({
            host: h.host,
            winner: h.analysis.winner?.number ?? null,
            trials: reportTrials(source, h.ranking),
            notes: studyNotes(h.analysis),
          }))
        : null,
  };
}

function reportTrials(source: ReportSource, ranking: readonly RankedTrial[]): ReportTrial[] {
  const { measurements, study } = source;
  const tMin = study.objective.tMin;
  const trialIds = new Map(source.trials.map((t) => [t.number, t.id]));
  return ranking.map((r) => {
    const id = trialIds.get(r.number);
    const used = measurements.filter((m) => m.trialId === id && m.phase === r.phase && m.error === null);
    const stages = medianBreakdown(used.map((m) => stageBreakdown(m.timeline)).filter((s): s is StageBreakdown => s !== null));
    const quality = median(used.map((m) => qualityOf(m, tMin)).filter((q): q is number => q !== null));
    const speedups: Record<string, number> = {};
    const speedupBasis: ReportTrial['speedupBasis'] = {};
    for (const [name, ratio] of Object.entries(r.speedup)) {
      if (ratio === null) continue;
      speedups[name] = ratio;
      speedupBasis[name] = r.speedupBasis[name] ?? 'search';
    }
    return {
      number: r.number,
      host: r.host,
      rank: r.rank,
      params: r.params,
      state: r.state,
      feasible: r.feasible,
      baseline: r.baseline,
      median: r.median,
      low: r.interval?.low ?? null,
      high: r.interval?.high ?? null,
      p90: r.p90,
      accuracy: r.accuracy,
      coverage: r.coverage,
      sn44: r.sn44,
      quality,
      bboxQuality: quality,
      tiedWithBest: r.tiedWithBest,
      stages,
      value: r.value,
      speedups,
      speedupBasis,
      phase: r.phase === 'confirm' ? 'confirm' : 'search',
      ratio: r.ratioToControl && { median: r.ratioToControl.median, low: r.ratioToControl.low, high: r.ratioToControl.high },
      repeats: r.repeats,
      raceRounds: r.raceRounds,
      dropped: r.dropped && { phase: r.dropped.phase, p: r.dropped.p, vs: r.dropped.vs },
      saved: r.saved,
    };
  });
}

export async function writeReport(source: ReportSource, file: string): Promise<string> {
  await writeFile(file, await renderReportHtml(buildReportData(source)));
  return file;
}

export const reportEmitter: Emitter = {
  name: 'report',
  async emit(context: EmitContext): Promise<string[]> {
    return [await writeReport(context, join(context.outDir, 'report.html'))];
  },
};
