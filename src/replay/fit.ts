// A replay table against the search space it is replayed on: every knob cell typed as the space
// types the knob and checked to be a value of it, each row's config complete (every active knob set,
// no inactive one), and the rows indexed by config and video for the evaluator.

import { configKey, isActive, knownKnobs, orderedParams, valueProblem, type Config, type KnobValue, type ParamSpec, type Space } from '../search/index.js';
import type { ReplayRow, ReplayTable } from './format.js';
import { parseNumberCell, tableError } from './read.js';

/** The recorded rows of one config on one video, in table order. */
export type ReplayCell = readonly ReplayRow[];

export interface ReplayIndex {
  table: ReplayTable;
  space: Space;
  /** configKey -> video -> rows. */
  cells: Map<string, Map<string, ReplayRow[]>>;
  /** configKey -> the config (typed), for messages and benchmarks. */
  configs: Map<string, Config>;
}

export function fitTable(table: ReplayTable, space: Space): ReplayIndex {
  const params = new Map(space.params.map((p) => [p.name, p]));
  const hint = `replay the table with the space it was measured on (${space.file} has ${knownKnobs(space).join(', ')})`;
  const valueHint = `use values of ${space.file}, or replay the table with the space it was measured on`;
  for (const knob of table.knobs) {
    if (!params.has(knob) && !(knob in space.fixed)) {
      throw tableError(table.file, 1, knob, `not a knob of space ${space.name} (${space.file})`, hint);
    }
  }
  const cells = new Map<string, Map<string, ReplayRow[]>>();
  const configs = new Map<string, Config>();
  for (const row of table.rows) {
    const config = rowConfig(table, row, space, params, valueHint);
    const key = configKey(config);
    let byVideo = cells.get(key);
    if (!byVideo) {
      cells.set(key, (byVideo = new Map()));
      configs.set(key, config);
    }
    const list = byVideo.get(row.video);
    if (list) list.push(row);
    else byVideo.set(row.video, [row]);
  }
  return { table, space, cells, configs };
}

function rowConfig(table: ReplayTable, row: ReplayRow, space: Space, params: Map<string, ParamSpec>, hint: string): Config {
  const fail = (column: string, what: string) => tableError(table.file, row.row, column, what, hint);
  const config: Config = {};
  table.knobs.forEach((knob, i) => {
    const cell = row.cells[i]!;
    if (cell === '') return;
    const param = params.get(knob);
    if (param) {
      const value = typed(cell, param);
      const problem = value === undefined ? `${JSON.stringify(cell)} is not a number (${param.type} expected)` : valueProblem(param, value);
      if (problem) throw fail(knob, `${problem} in space ${space.name}`);
      config[knob] = value!;
      return;
    }
    const fixed = space.fixed[knob]!;
    const value = typeof fixed === 'string' ? cell : parseNumberCell(cell);
    if (value !== fixed) throw fail(knob, `${JSON.stringify(cell)} differs from the space's fixed value ${JSON.stringify(fixed)}`);
    config[knob] = fixed;
  });
  for (const knob of Object.keys(space.fixed)) {
    if (!(knob in config)) throw fail(knob, `empty, but the space fixes ${knob} to ${JSON.stringify(space.fixed[knob])}`);
  }
  for (const p of orderedParams(space)) {
    const active = isActive(p, config);
    if (active && !(p.name in config)) throw fail(p.name, `empty, but ${p.name} is searched in this config`);
    if (!active && p.name in config) {
      throw fail(p.name, `set, but ${p.name} is not searched in this config (it needs ${JSON.stringify(p.when)}): leave the cell empty`);
    }
  }
  return config;
}

/** A cell as the param's value: a choice when it names one, else a number; undefined when it cannot be. */
function typed(cell: string, param: ParamSpec): KnobValue | undefined {
  if (param.type === 'bool') {
    if (cell === 'true') return 1;
    if (cell === 'false') return 0;
  }
  const asNumber = parseNumberCell(cell);
  if (param.type === 'categorical') {
    const choice = (param.choices ?? []).find((c) => (typeof c === 'number' ? c === asNumber : String(c) === cell));
    if (choice !== undefined) return typeof choice === 'boolean' ? (choice ? 1 : 0) : choice;
    return asNumber ?? cell;
  }
  return asNumber ?? undefined;
}

/** A config as `KNOB=value` words, searched knobs only (the fixed ones are the same in every config). */
export function describeConfig(config: Config, space: Space): string {
  const words = space.params.filter((p) => p.name in config).map((p) => `${p.name}=${config[p.name]}`);
  return words.length > 0 ? words.join(' ') : JSON.stringify(config);
}
