// A study's challenges as a replay table (`autotune export`): one row per stored measurement, of every
// phase, in the order they were measured; of one host's trials when a host is named (the table has no
// host column: a replay of several hosts' rows mixes their speeds). A column per knob of the study's
// space (empty where a conditional knob is not set), the measure columns, then phase, reason and
// sn44_quality.

import { stringify } from 'csv-stringify/sync';
import { AutotuneError } from '../errors.js';
import { sn44Quality } from '../score/sn44.js';
import type { Config, KnobValue } from '../search/index.js';
import type { MeasurementRecord, Storage, StudyRecord } from '../store/types.js';
import { EXTRA_COLUMNS, MEASURE_COLUMNS, numberCell } from './format.js';

export interface ExportedTable {
  /** The CSV text. */
  text: string;
  knobs: string[];
  /** Rows per phase. */
  phases: Record<string, number>;
  rows: number;
  /** Every host that measured the study, sorted, with its challenges (whichever host was exported). */
  hosts: { host: string; challenges: number }[];
}

export async function exportTable(storage: Storage, study: StudyRecord, options: { host?: string } = {}): Promise<ExportedTable> {
  const all = await storage.listTrials(study.id);
  const everyMeasurement = await storage.listMeasurements({ studyId: study.id });
  const hostOf = new Map(all.map((t) => [t.id, t.workerHost]));
  const counts = new Map<string, number>([...new Set(all.map((t) => t.workerHost))].map((h) => [h, 0]));
  for (const m of everyMeasurement) {
    const h = hostOf.get(m.trialId)!;
    counts.set(h, counts.get(h)! + 1);
  }
  const hosts = [...counts].map(([host, challenges]) => ({ host, challenges })).sort((a, b) => a.host.localeCompare(b.host));
  const { host } = options;
  if (host !== undefined && !counts.has(host)) {
    throw new AutotuneError('E_USAGE', `--host ${host}: no trial of study "${study.name}" was measured on it`, {
      hint: hosts.length ? `the study's hosts: ${hosts.map((h) => h.host).join(', ')}` : 'the study has no trial yet',
    });
  }
  const trials = host === undefined ? all : all.filter((t) => t.workerHost === host);
  const measurements = host === undefined ? everyMeasurement : everyMeasurement.filter((m) => hostOf.get(m.trialId) === host);
  const params = new Map(trials.map((t) => [t.id, t.params]));
  const knobs = knobColumns(study.space, trials.map((t) => t.params));
  const phases: Record<string, number> = {};
  const records = measurements.map((m) => {
    phases[m.phase] = (phases[m.phase] ?? 0) + 1;
    return [...knobs.map((k) => knobCell(params.get(m.trialId)?.[k])), ...measureCells(m, study.objective.tMin)];
  });
  const text = stringify([[...knobs, ...MEASURE_COLUMNS, ...EXTRA_COLUMNS], ...records], { record_delimiter: 'unix' });
  return { text, knobs, phases, rows: records.length, hosts };
}

/** Every knob the space sets (searched, then fixed, in file order), and any other a trial has. */
function knobColumns(space: unknown, configs: Config[]): string[] {
  const s = (space ?? {}) as { params?: { name: string }[]; fixed?: Record<string, unknown> };
  const names = [...(s.params ?? []).map((p) => p.name), ...Object.keys(s.fixed ?? {})];
  const known = new Set(names);
  const others = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c)) if (!known.has(k)) others.add(k);
  return [...names, ...[...others].sort()];
}

function knobCell(value: KnobValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

function measureCells(m: MeasurementRecord, tMin: number): string[] {
  const total = m.timeline.total;
  return [
    m.videoUrl,
    String(m.repeat),
    numberCell(total),
    numberCell(m.accuracy),
    numberCell(m.coverage),
    m.error ? '1' : '0',
    m.phase,
    m.error?.reason ?? '',
    numberCell(m.sn44 !== null && total !== null ? sn44Quality(m.sn44, total, tMin) : null),
  ];
}
