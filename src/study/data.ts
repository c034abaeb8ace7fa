// A study's trials and measurements in memory, indexed the ways the runner and the ranking read them.
// The runner keeps one up to date as it stores results and as other workers' results arrive (see
// sync.ts); readers build one from the store. Measurements stay in id order whatever order they are
// added in, and one added twice is kept once.

import type { MeasurementRecord, Phase, TrialRecord } from '../store/types.js';

/** The trials one host measured and their measurements (the host is a factor: see hosts.ts). */
export function onHost(
  trials: readonly TrialRecord[],
  measurements: readonly MeasurementRecord[],
  host: string,
): { trials: TrialRecord[]; measurements: MeasurementRecord[] } {
  const own = trials.filter((t) => t.workerHost === host);
  const ids = new Set(own.map((t) => t.id));
  return { trials: own, measurements: measurements.filter((m) => ids.has(m.trialId)) };
}

export class StudyData {
  private readonly trialsById = new Map<number, TrialRecord>();
  private readonly byTrial = new Map<number, MeasurementRecord[]>();
  private readonly all: MeasurementRecord[] = [];
  private readonly ids = new Set<number>();
  private sorted: TrialRecord[] | null = null;
  /** Id of the latest search measurement: confirm measurements after it belong to the current race. */
  lastSearchId = 0;

  constructor(trials: readonly TrialRecord[], measurements: readonly MeasurementRecord[]) {
    for (const t of trials) this.trialsById.set(t.id, t);
    for (const m of [...measurements].sort((a, b) => a.id - b.id)) this.add(m);
  }

  add(m: MeasurementRecord): void {
    if (this.ids.has(m.id)) return;
    this.ids.add(m.id);
    insertById(this.all, m);
    const list = this.byTrial.get(m.trialId);
    if (list) insertById(list, m);
    else this.byTrial.set(m.trialId, [m]);
    if (m.phase === 'search') this.lastSearchId = Math.max(this.lastSearchId, m.id);
  }

  has(measurementId: number): boolean {
    return this.ids.has(measurementId);
  }

  put(t: TrialRecord): void {
    this.trialsById.set(t.id, t);
    this.sorted = null;
  }

  trial(id: number): TrialRecord | undefined {
    return this.trialsById.get(id);
  }

  /** Every trial, by number (do not change the array). */
  trials(): readonly TrialRecord[] {
    this.sorted ??= [...this.trialsById.values()].sort((a, b) => a.number - b.number);
    return this.sorted;
  }

  /** A trial's measurements in the order they were taken, of one phase when given. */
  of(trialId: number, phase?: Phase): MeasurementRecord[] {
    const list = this.byTrial.get(trialId) ?? [];
    return phase ? list.filter((m) => m.phase === phase) : list;
  }

  /** The confirm measurements of the current race (taken after the last search measurement). */
  race(trialId: number): MeasurementRecord[] {
    return this.of(trialId, 'confirm').filter((m) => m.id > this.lastSearchId);
  }

  /**
   * Measurements taken before the current race's first one (all of them before the race starts): what
   * the race's contenders are chosen on, so a resumed race finds the same ones.
   */
  get beforeRaceId(): number {
    const first = this.all.find((m) => m.phase === 'confirm' && m.id > this.lastSearchId);
    return first ? first.id - 1 : Infinity;
  }

  /** Whether the current race has a measurement. */
  raceStarted(): boolean {
    return this.beforeRaceId !== Infinity;
  }

  /** Every measurement in the order taken. */
  measurements(): readonly MeasurementRecord[] {
    return this.all;
  }

  /** Challenges of each phase so far. */
  counts(): Record<Phase, number> {
    const counts: Record<Phase, number> = { search: 0, confirm: 0, control: 0 };
    for (const m of this.all) counts[m.phase]++;
    return counts;
  }
}

/** Inserts keeping the list in id order (almost always at its end). */
function insertById(list: MeasurementRecord[], m: MeasurementRecord): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.id > m.id) i--;
  list.splice(i, 0, m);
}
