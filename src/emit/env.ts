// best.env: the winner's knobs as sourceable `export KEY=VALUE` lines under a header that says where
// the figures come from. Names and values are validated so sourcing the file cannot run anything.

import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AutotuneError } from '../errors.js';
import { ENV_NAME, isLoaderVariable, PLAIN_ENV_VALUE } from '../util/env-names.js';
import type { Config, KnobValue } from '../pipeline/types.js';
import { driftLine } from '../study/notes.js';
import { baselineRows, type RankedTrial } from '../study/ranking.js';
import type { EmitContext, Emitter } from './emitter.js';


/** The value as it appears after `=`; throws E_ENV_FILE for a name or value that is not safe. */
export function envValue(name: string, value: KnobValue): string {
  if (!ENV_NAME.test(name)) {
    throw new AutotuneError('E_ENV_FILE', `knob name ${JSON.stringify(name)} is not a valid environment variable name`, {
      hint: 'names must match [A-Z_][A-Z0-9_]*; fix the search space',
      context: { name },
    });
  }
  if (isLoaderVariable(name)) {
    throw new AutotuneError('E_ENV_FILE', `knob ${name} changes how programs load; it is never written to an env file`, {
      hint: 'remove it from the search space: a tuned env file holds tuning knobs only',
      context: { name },
    });
  }
  const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new AutotuneError('E_ENV_FILE', `knob ${name} has a non-finite value ${text}`, { context: { name } });
  }
  if (!PLAIN_ENV_VALUE.test(text)) {
    throw new AutotuneError('E_ENV_FILE', `knob ${name} has a value with shell metacharacters: ${JSON.stringify(text)}`, {
      hint: 'values are non-empty and hold letters, digits and . , : / @ % + - _ only; fix the search space',
      context: { name, value: text },
    });
  }
  return text;
}

export function envLines(config: Config): string[] {
  return Object.keys(config)
    .sort()
    .map((name) => `export ${name}=${envValue(name, config[name]!)}`);
}

const s = (v: number | null) => (v === null ? '-' : `${v.toFixed(3)} s`);
const f = (v: number | null) => (v === null ? '-' : v.toFixed(3));

export function describeFigures(r: RankedTrial): string {
  const ci = r.interval ? ` (95% CI ${r.interval.low.toFixed(3)}-${r.interval.high.toFixed(3)} s)` : '';
  const ratio = r.ratioToControl
    ? `, ${r.ratioToControl.median.toFixed(3)}x the control's time (95% CI ${r.ratioToControl.low.toFixed(3)}-${r.ratioToControl.high.toFixed(3)})`
    : '';
  return (
    `median ${s(r.median)}${ci}, p90 ${s(r.p90)}${ratio}, accuracy ${f(r.accuracy)}, coverage ${f(r.coverage)}, SN44 estimate ${f(r.sn44)}, ` +
    `${r.challenges} challenges (${r.phase === 'confirm' ? 'confirmation race' : 'search'})`
  );
}

/** The winner against each baseline, always on figures of one phase (see SpeedupBasis). */
export function gainLines(winner: RankedTrial, ranking: readonly RankedTrial[]): string[] {
  return baselineRows(ranking).map((b) => {
    const name = b.baseline!;
    const ratio = winner.speedup[name];
    const basis = winner.speedupBasis[name] ?? 'search';
    // A ratio below 1 (the winner slower, e.g. than an infeasible preset) reads as its inverse "x slower".
    const speed = ratio === null || ratio === undefined ? 'n/a' : ratio >= 1 ? `${ratio.toFixed(2)}x faster` : `${(1 / ratio).toFixed(2)}x slower`;
    const [mine, theirs] = basis === 'race' ? [winner.median, b.median] : [winner.search.median, b.search.median];
    const ms = mine !== null && theirs !== null ? Math.round((theirs - mine) * 1000) : null;
    const saved = basis !== 'control-normalised' && ms !== null ? (ms >= 0 ? `, ${ms} ms saved` : `, ${-ms} ms slower`) : '';
    const sn =
      basis !== 'control-normalised' && winner.sn44 !== null && b.sn44 !== null && winner.phase === b.phase
        ? `, SN44 ${b.sn44.toFixed(3)} -> ${winner.sn44.toFixed(3)}`
        : '';
    const on =
      basis === 'race'
        ? 'race figures, same rounds'
        : basis === 'search'
          ? 'search figures'
          : "search figures, each relative to the control measured near it: the host's speed changed";
    return `vs ${name} (trial ${b.number}, median ${s(theirs)}${b.feasible ? '' : ', infeasible'}): ${speed}${saved}${sn} (${on})`;
  });
}

export function formatEnvFile(context: Pick<EmitContext, 'study' | 'ranking' | 'winner' | 'date' | 'analysis'>): string {
  const { study, winner, ranking, date, analysis } = context;
  const drift = driftLine(analysis);
  const header = [
    `sn44-autotune: best config of study "${study.name}" (${study.spaceFile}), trial ${winner.number}${winner.baseline ? ` (baseline ${winner.baseline})` : ''}`,
    `host: ${winner.host ?? hostname()}, date: ${date.toISOString()}`,
    `objective: ${study.objective.kind}${study.objective.kind === 'sn44' ? ` (t-min ${study.objective.tMin} s)` : ` (accuracy floor ${study.objective.accuracyFloor})`}`,
    ...(drift ? [drift] : []),
    `measured: ${describeFigures(winner)}`,
    ...gainLines(winner, ranking),
    `load with: set -a; source best.env; set +a   (or merge with \`autotune apply --space ${study.spaceFile}\`)`,
  ];
  return [...header.map((line) => `# ${line.replace(/[\r\n]+/g, ' ')}`), ...envLines(winner.params), ''].join('\n');
}

export const envEmitter: Emitter = {
  name: 'env',
  async emit(context) {
    const path = join(context.outDir, 'best.env');
    await writeFile(path, formatEnvFile(context));
    return [path];
  },
};
