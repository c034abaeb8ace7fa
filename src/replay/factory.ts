// The replay evaluator as a study's evaluator factory (`autotune run --evaluator replay --table F`).
// Its knobs are the table's knob columns, so a space naming another knob is refused when it is loaded;
// the space's values are checked against the table's cells before anything else (fitSpace). Nothing of
// this host is probed and nothing is fetched: the videos are the table's `video` values.

import type { EvaluatorFactory } from '../pipeline/types.js';
import type { Space } from '../search/index.js';
import { ReplayEvaluator, type ReplayEvaluatorOptions } from './evaluator.js';
import { fitTable, type ReplayIndex } from './fit.js';
import type { ReplayTable } from './format.js';

export interface ReplayFactoryOptions extends ReplayEvaluatorOptions {
  table: ReplayTable;
}

/** What a study records as the evaluator that measured it: a replay resumes only on the same table file. */
export function replayEvaluatorName(table: ReplayTable): string {
  return `the replay of ${table.file}`;
}

export function replayEvaluatorFactory(options: ReplayFactoryOptions): EvaluatorFactory<ReplayEvaluator> {
  let fitted: ReplayIndex | null = null;
  const { table, ...evaluatorOptions } = options;
  return {
    name: replayEvaluatorName(table),
    knobs: table.knobs,
    knobsFrom: `the header of ${table.file}`,
    settings: { table: table.file, tableRows: table.rows.length, replayMissing: options.missing },
    probesHost: false,
    samplesOver: 'http',
    timed: false,
    async fitSpace(space: Space) {
      fitted = fitTable(table, space);
      return space;
    },
    async create() {
      if (!fitted) throw new Error('the replay table was not fitted to the space (fitSpace runs first)');
      return new ReplayEvaluator(fitted, evaluatorOptions);
    },
  };
}
