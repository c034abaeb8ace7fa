// The host is a factor: a config measured on two hosts is two samples, never one. Every figure
// (medians, intervals, ratios to the control, the race, the winner) is computed from one host's
// trials and measurements; hosts of the same kind are set side by side only through each trial's
// ratio to its own host's control.

import type { MeasurementRecord, ObjectiveSpec, TrialRecord } from '../store/types.js';
import { NO_DRIFT } from './drift.js';
import { analyseStoredStudy, group, type RankedTrial, type StudyAnalysis } from './ranking.js';

export interface HostAnalysis {
  host: string;
  analysis: StudyAnalysis;
}

type StudyLike = { objective: ObjectiveSpec; settings: Record<string, unknown> };

/** The hosts that measured the study's trials, sorted by name. */
export function hostsOf(trials: readonly TrialRecord[]): string[] {
  return [...new Set(trials.map((t) => t.workerHost))].sort();
}

/** One analysis per host, from that host's trials only (sorted by host name). */
export function analyseHosts(study: StudyLike, trials: readonly TrialRecord[], measurements: readonly MeasurementRecord[]): HostAnalysis[] {
  return hostsOf(trials).map((host) => ({ host, analysis: analyseStoredStudy(study, trials, measurements, host) }));
}

/**
 * The study as a whole. One host: its analysis, exactly as for a study of one host. More: each host's
 * rows as its own analysis ranked them, ordered across hosts by the ratio to their own host's control
 * (fastest-safe, every host with a control), else host by host. The winner is the first feasible row.
 */
export function analyseAcrossHosts(study: StudyLike, trials: readonly TrialRecord[], measurements: readonly MeasurementRecord[]): StudyAnalysis {
  const hosts = hostsOf(trials);
  if (hosts.length <= 1) return analyseStoredStudy(study, trials, measurements);
  return combineHosts(analyseHosts(study, trials, measurements), study.objective);
}

export function combineHosts(perHost: readonly HostAnalysis[], objective: ObjectiveSpec): StudyAnalysis {
  const byRatio = objective.kind === 'fastest-safe' && perHost.every((h) => h.analysis.control !== null);
  const hostIndex = new Map(perHost.map((h, i) => [h.host, i]));
  const ratio = (r: RankedTrial) => r.ratioToControl?.median ?? Infinity;
  const rows = perHost.flatMap((h) => h.analysis.ranking.map((r) => ({ ...r })));
  rows.sort((a, b) => {
    if (!byRatio) return hostIndex.get(a.host)! - hostIndex.get(b.host)! || a.rank - b.rank;
    const ga = group(a);
    const gb = group(b);
    if (ga !== gb) return ga - gb;
    if (ga < 4) return ratio(a) - ratio(b) || a.rank - b.rank || hostIndex.get(a.host)! - hostIndex.get(b.host)!;
    return a.violation - b.violation || hostIndex.get(a.host)! - hostIndex.get(b.host)! || a.rank - b.rank;
  });
  rows.forEach((r, i) => (r.rank = i + 1));
  const winner = byRatio ? (rows.find((r) => group(r) === 0 || group(r) === 2) ?? null) : null;
  // The rank test compares a host's trials with that host's best: in one list, "tied with the best"
  // is kept for the winner's host only (the p-values stay, each against its own host's best).
  for (const r of rows) if (r.host !== winner?.host) r.tiedWithBest = false;
  const drifted = perHost.map((h) => h.analysis.drift).filter((d) => d.detected);
  const sum = (pick: (a: StudyAnalysis) => number) => perHost.reduce((s, h) => s + pick(h.analysis), 0);
  return {
    ranking: rows,
    winner,
    drift: drifted.sort((a, b) => b.factor - a.factor)[0] ?? perHost[0]?.analysis.drift ?? NO_DRIFT,
    rankedBy: byRatio ? 'control-normalised' : 'absolute',
    // Each host has its own control; `hostNotes` names them.
    control: null,
    race: {
      enabled: perHost.some((h) => h.analysis.race.enabled),
      contenders: perHost.flatMap((h) => h.analysis.race.contenders),
      rounds: Math.max(0, ...perHost.map((h) => h.analysis.race.rounds)),
      dropped: perHost.flatMap((h) => h.analysis.race.dropped),
      unraced: perHost.flatMap((h) => h.analysis.race.unraced),
      searchDropped: perHost.flatMap((h) => h.analysis.race.searchDropped),
    },
    saved: sum((a) => a.saved),
    challenges: {
      search: sum((a) => a.challenges.search),
      confirm: sum((a) => a.challenges.confirm),
      control: sum((a) => a.challenges.control),
      total: sum((a) => a.challenges.total),
    },
    acrossHosts: { hosts: perHost.map((h) => h.host), orderedBy: byRatio ? 'ratio-to-own-control' : 'host-by-host' },
  };
}

/** How a study of several hosts is ranked, in one line (null for one host). */
export function acrossHostsLine(analysis: StudyAnalysis): string | null {
  const across = analysis.acrossHosts;
  if (!across) return null;
  const how =
    across.orderedBy === 'ratio-to-own-control'
      ? "rows of different hosts ordered by their ratio to their own host's control"
      : 'listed host by host (ordering across hosts needs a control on every host and the fastest-safe objective)';
  return (
    `hosts: ${across.hosts.join(', ')}: every figure is one host's (a config measured on two hosts is two rows); ${how}; ` +
    'one ranking per host with --by-host, one host\'s winner with emit --host NAME'
  );
}
