// What a study learns from trials measured elsewhere: another study of the same store (a warm start,
// `run --warm-start-from`) and the other hosts of this study. The sampler sees them, marked with
// where they come from (so they do not count as tried here, and a config they measured can still be
// proposed); the ranking of this study never does. Their values are another host's times, so they
// are scaled onto this host by the configs measured in both places (median of this host's value /
// theirs), the re-measured best few of a warm start first of all.

import { AutotuneError } from '../errors.js';
import { configKey, contains, type Config, type Direction, type Space, type TrialSummary } from '../search/index.js';
import type { Storage, StudyRecord, TrialRecord } from '../store/types.js';
import { analyseAcrossHosts } from './hosts.js';
import { median } from './stats.js';

/** Trials measured elsewhere, in their own scale, and where they come from ("study S", "host H"). */
export interface ForeignTrials {
  origin: string;
  trials: TrialSummary[];
}

/** A warm start: the source study's finished trials for the sampler, and its best configs to re-measure first. */
export interface WarmStart {
  study: string;
  history: ForeignTrials;
  /** Its best feasible sampled trials, best first (at most --warm-start-top). */
  top: { number: number; params: Config }[];
}

export const DEFAULT_WARM_START_TOP = 3;

/** A finished trial as a sampler sees it (its stored search value). */
export function summaryOf(t: TrialRecord): TrialSummary {
  const dropped = t.state === 'PRUNED' && t.verdict?.kind === 'race';
  return {
    number: t.number,
    params: t.params,
    state: dropped ? 'COMPLETE' : t.state,
    value: t.value,
    feasible: t.feasible,
    violation: t.violation ?? (t.feasible ? 0 : 1),
    baseline: t.baseline,
  };
}

/**
 * Reads the study to warm-start from: E_USAGE for an unknown study (naming the store's studies), the
 * study itself, or one that shares no config with this space.
 */
export async function loadWarmStart(storage: Storage, source: string, into: string, space: Space, top: number): Promise<WarmStart> {
  if (source === into) {
    throw new AutotuneError('E_USAGE', `--warm-start-from ${source} is the study being run`, { hint: 'name another study of the same store' });
  }
  const study = await storage.getStudy(source);
  if (!study) {
    const names = (await storage.listStudies()).map((s) => s.name);
    throw new AutotuneError('E_USAGE', `--warm-start-from ${source}: no such study in ${storage.path}`, {
      hint: names.length ? `the store's studies: ${names.join(', ')}` : 'the store has no study yet: run one first',
    });
  }
  const trials = (await storage.listTrials(study.id)).filter((t) => t.state !== 'RUNNING' && contains(space, t.params) === null);
  if (trials.length === 0) {
    throw new AutotuneError('E_USAGE', `--warm-start-from ${source}: none of its finished trials is a config of ${space.file}`, {
      hint: 'warm-start from a study of the same space',
    });
  }
  return { study: source, history: { origin: `study ${source}`, trials: trials.map(summaryOf) }, top: await bestOf(storage, study, trials, top) };
}

async function bestOf(storage: Storage, study: StudyRecord, trials: readonly TrialRecord[], top: number): Promise<WarmStart['top']> {
  if (top === 0) return [];
  const analysis = analyseAcrossHosts(study, trials, await storage.listMeasurements({ studyId: study.id }));
  const seen = new Set<string>();
  const best: WarmStart['top'] = [];
  for (const row of analysis.ranking) {
    if (best.length >= top) break;
    if (!row.feasible || row.baseline !== null || row.dropped || seen.has(configKey(row.params))) continue;
    seen.add(configKey(row.params));
    best.push({ number: row.number, params: row.params });
  }
  return best;
}

/**
 * The foreign trials as sampler history: marked with their origin, each group's values scaled onto
 * this host (minimize: times scale; a score is left as it is) by the median ratio over the configs
 * both measured feasibly, unscaled while there is none.
 */
export function foreignHistory(own: readonly TrialSummary[], groups: readonly ForeignTrials[], direction: Direction): TrialSummary[] {
  const ownValues = new Map<string, number>();
  for (const t of own) if (t.state === 'COMPLETE' && t.feasible && t.value !== null && t.value > 0) ownValues.set(configKey(t.params), t.value);
  let next = -1;
  return groups.flatMap((g) => {
    const ratios = g.trials
      .filter((t) => t.state === 'COMPLETE' && t.feasible && t.value !== null && t.value > 0 && ownValues.has(configKey(t.params)))
      .map((t) => ownValues.get(configKey(t.params))! / t.value!);
    const factor = direction === 'minimize' ? (median(ratios) ?? 1) : 1;
    return g.trials.map((t) => ({ ...t, number: next--, value: t.value === null ? null : t.value * factor, origin: g.origin }));
  });
}

/** The other hosts' finished trials of this study, one group per host. */
export function otherHosts(trials: readonly TrialRecord[], here: string): ForeignTrials[] {
  const byHost = new Map<string, TrialSummary[]>();
  for (const t of trials) {
    if (t.workerHost === here || t.state === 'RUNNING') continue;
    const list = byHost.get(t.workerHost) ?? [];
    list.push(summaryOf(t));
    byHost.set(t.workerHost, list);
  }
  return [...byHost].sort(([a], [b]) => (a < b ? -1 : 1)).map(([host, list]) => ({ origin: `host ${host}`, trials: list }));
}
