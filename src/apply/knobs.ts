// Which tuned values apply may write: the knobs of a search space, each checked against its type and
// range (or a fixed knob's one value), plus keys the user names explicitly. Everything else in a
// tuned file (a wallet, a path, a typo) is refused before anything is written.
import { basename } from 'node:path';
import { AutotuneError } from '../errors.js';
import { normalizeValue, valueProblem, type ParamSpec, type Space } from '../search/index.js';
import type { TunedValue } from './tuned-env.js';

export interface KnobRules {
  space: Space;
  /** Keys outside the space the user allowed by name (--allow-key); their values are only checked to be plain. */
  allowKeys: readonly string[];
}

/** Throws E_ENV_FILE naming every value of `source` that is not a knob of the space or not in its range. */
export function checkTunedKnobs(values: readonly TunedValue[], rules: KnobRules, source: string, madeWith: string | null = null): void {
  const params = new Map(rules.space.params.map((p) => [p.name, p]));
  const problems: string[] = [];
  let outside = false;
  for (const { key, value, line } of values) {
    const param = params.get(key);
    let problem: string | null = null;
    if (param) problem = paramProblem(param, value);
    else if (key in rules.space.fixed) {
      const fixed = normalizeValue(rules.space.fixed[key]!);
      if (!sameValue(value, fixed)) problem = `${value} is not ${fixed}, the value the space fixes`;
    } else if (!rules.allowKeys.includes(key)) problem = `not a knob of the space ${rules.space.name}`;
    if (problem === null) continue;
    if (!param && !(key in rules.space.fixed)) outside = true;
    problems.push(`line ${line}: ${key}=${value}: ${problem}`);
  }
  if (problems.length === 0) return;
  const hints = [];
  if (madeWith && basename(madeWith) !== basename(rules.space.file)) hints.push(`the file was written by a study of ${madeWith}: pass --space ${madeWith}`);
  else hints.push(`the knobs and ranges come from --space (${rules.space.file})`);
  if (outside) hints.push('to write a key outside the space anyway, name it with --allow-key KEY');
  throw new AutotuneError('E_ENV_FILE', `${source}: ${problems.join('; ')}; nothing was changed`, {
    hint: hints.join('; '),
    context: { path: source, space: rules.space.file },
  });
}

/** Why VALUE (as written in an env file) is not a value of PARAM, or null. */
function paramProblem(param: ParamSpec, value: string): string | null {
  if (param.type === 'categorical') {
    const choice = (param.choices ?? []).find((c) => sameValue(value, normalizeValue(c)));
    return choice === undefined ? valueProblem(param, value) : null;
  }
  if (!NUMBER.test(value)) return `${JSON.stringify(value)} is not a number (${param.type === 'bool' ? 'bool: 0 or 1' : param.type} expected)`;
  return valueProblem(param, Number(value));
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function sameValue(written: string, value: ReturnType<typeof normalizeValue>): boolean {
  if (typeof value === 'number') return NUMBER.test(written) && Number(written) === value;
  return written === String(value);
}
