// best.env: the winner's knobs as sourceable `export KEY=VALUE` lines under a header that says where
// the figures come from. Names and values are validated so sourcing the file cannot run anything.

import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AutotuneError } from '../errors.js';
import { ENV_NAME, isLoaderVariable, PLAIN_ENV_VALUE } from '../util/env-names.js';
import type { Config, KnobValue } from '../pipeline/types.js';
import { describeMeasuredBy } from '../study/measured-by.js';
import { driftLine } from '../study/notes.js';
import { baselineRows, type RankedTrial } from '../study/ranking.js';
import type { EmitContext, Emitter } from './emitter.js';
import { count } from '../util/format.js';


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
    ? `, ${r.ratioToControl.median.toFixed(3)}x the control's time` +
      (r.ratioToControl.low !== null && r.ratioToControl.high !== null
        ? ` (95% CI ${r.ratioToControl.low.toFixed(3)}-${r.ratioToControl.high.toFixed(3)})`
        : ' (one pair, no interval)')
    : '';
  return (
    `median ${s(r.median)}${ci}, p90 ${s(r.p90)}${ratio}, accuracy ${f(r.accuracy)}, coverage ${f(r.coverage)}, SN44 estimate ${f(r.sn44)}, ` +
    `${count(r.challenges, 'challenge')} (${r.phase === 'confirm' ? 'confirmation race' : 'search'})`
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
    describeMeasuredBy(study.settings).line,
    ...(drift ? [drift] : []),
    `measured: ${describeFigures(winner)}`,
    ...gainLines(winner, ranking),
    `load with: set -a; source best.env; set +a   (or merge into the miner's .env with \`autotune apply --miner-dir DIR --env best.env --space ${study.spaceFile}\`)`,
  ];
  return [...header.map((line) => `# ${line.replace(/[\r\n]+/g, ' ')}`), ...knobSections(winner.params, study), ''].join('\n');
}

/**
 * The winner's knobs in two groups: those the study searched (their values measured against others),
 * then those the space fixed (set in every trial, never compared), so a fixed value is not read as tuned.
 */
function knobSections(params: Config, study: Pick<EmitContext['study'], 'space' | 'spaceFile' | 'settings'>): string[] {
  const fixed = new Set(Object.keys(fixedOf(study.space)));
  const pick = (keep: (name: string) => boolean) => Object.fromEntries(Object.entries(params).filter(([name]) => keep(name)));
  const searched = pick((name) => !fixed.has(name));
  const notSearched = pick((name) => fixed.has(name));
  if (Object.keys(notSearched).length === 0) return plainHttpNote(searched, study).concat(envLines(searched));
  return [
    '# searched by the study:',
    ...plainHttpNote(searched, study),
    ...envLines(searched),
    `# not searched (fixed by ${study.spaceFile}, or pinned by what this host lacks): set in every trial, not compared with other values:`,
    ...envLines(notSearched),
  ];
}

/** The `fixed` section of a study's recorded space (none for a study that recorded no space). */
function fixedOf(space: unknown): Config {
  const fixed = (space as { fixed?: unknown } | null)?.fixed;
  return fixed && typeof fixed === 'object' ? (fixed as Config) : {};
}

/** HTTP/2 is negotiated over TLS only: on plain-http videos the study could not tell its two values apart. */
function plainHttpNote(searched: Config, study: Pick<EmitContext['study'], 'settings'>): string[] {
  if (!('ENABLE_HTTP2' in searched)) return [];
  const videos = (study.settings as { videos?: unknown }).videos;
  if (!Array.isArray(videos) || videos.length === 0 || !videos.every((v) => typeof v === 'string' && v.startsWith('http://'))) return [];
  return ['# ENABLE_HTTP2 made no difference here: the videos came over plain http, and HTTP/2 is only negotiated over TLS (https); keep your own value'];
}

export const envEmitter: Emitter = {
  name: 'env',
  async emit(context) {
    const path = join(context.outDir, 'best.env');
    await writeFile(path, formatEnvFile(context));
    return [path];
  },
};
