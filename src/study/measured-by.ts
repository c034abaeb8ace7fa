// What measured a study, in the words its outputs carry: a validator times the miner's answer from
// its POST to the last byte, so only the miner evaluator measures that; the others are proxies.

import { PIPELINE_EVALUATOR_NAME } from '../pipeline/factory.js';
import { measuredBy } from './open.js';

export interface MeasuredBy {
  /** The evaluator's name, as the study records it. */
  evaluator: string;
  /** Whether the study's times stand in for the validator's figure rather than being it. */
  proxy: boolean;
  /** One line for best.env, trials, the report and summary.json. */
  line: string;
}

export function describeMeasuredBy(settings: Record<string, unknown>): MeasuredBy {
  const evaluator = measuredBy(settings);
  const target = settings.target as { kind?: string; url?: string; argv?: string[] } | undefined;
  if (evaluator === PIPELINE_EVALUATOR_NAME) {
    return {
      evaluator,
      proxy: true,
      line:
        `measured by ${evaluator} (undici, ffmpeg, onnxruntime): a stand-in for your miner, so its times are a proxy ` +
        'for what a validator measures; `autotune run --evaluator miner` times your running miner as a validator does',
    };
  }
  if (target?.kind === 'miner') {
    return { evaluator, proxy: false, line: `measured by ${evaluator} at ${target.url}, timed as a validator times it: from the POST to the last byte of the reply` };
  }
  if (target?.kind === 'command') {
    return {
      evaluator,
      proxy: true,
      line: `measured by ${evaluator} (${(target.argv ?? []).join(' ')}), timed from its start to its exit: a proxy for what a validator measures, start-up included`,
    };
  }
  return { evaluator, proxy: true, line: `measured by ${evaluator}: figures recorded earlier and replayed, not measured by this study` };
}
