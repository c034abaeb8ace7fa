// Reads a search-space YAML file into a Space, with an E_SPACE_INVALID error that names the file,
// the line, the key path and what is wrong for anything that does not fit.
import { readFileSync } from 'node:fs';
import YAML, { LineCounter } from 'yaml';
import type { z } from 'zod';
import { AutotuneError, isAutotuneError } from '../../errors.js';
import { closestName } from '../../util/closest.js';
import { CAPABILITIES, type Config, type KnobNames, type KnobValue, type ParamSpec, type Space } from './types.js';
import { completeConfig, orderedParams } from './config.js';
import { allowedKeys, fileSchema, paramSchemas, type ParamFileType } from './schema.js';
import { normalizeValue, onStep, quote, valueProblem } from './values.js';
import { builtInSpaceNames, resolveSpaceSource } from './source.js';

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
type Path = (string | number)[];

export interface SpaceCheck {
  /** The knobs the chosen evaluator understands; a space naming another is refused (default 'any'). */
  knobs?: KnobNames;
  /** Names that evaluator in messages. */
  evaluator?: string;
  /** Where the evaluator's knob names come from when they are data (a replay table's header), else absent. */
  knobsFrom?: string;
}

/**
 * Reads and validates a search-space file, or a built-in space by name (see resolveSpaceSource); the
 * space's `file` is the label a study records.
 */
export function loadSpace(arg: string, check: SpaceCheck = {}): Space {
  const { path, label } = resolveSpaceSource(arg);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const builtIn = builtInSpaceNames().join(', ');
    throw new AutotuneError('E_NOT_FOUND', `search space file ${path} cannot be read (${(cause as Error).message})`, {
      hint: `pass --space with a YAML file of yours${builtIn ? `, or a built-in space: ${builtIn}` : ''}`,
      cause,
      context: { file: path },
    });
  }
  return parseSpace(text, label, check);
}

/** Parses and validates search-space YAML; `file` names it in messages. */
export function parseSpace(text: string, file: string, check: SpaceCheck = {}): Space {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const where = (path: Path): string => {
    for (let p = path; p.length > 0; p = p.slice(0, -1)) {
      const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return `${file}:${lines.linePos(node.range[0]).line}`;
    }
    return file;
  };
  const fail = (path: Path, what: string, hint: string): never => {
    const key = path.join('.');
    throw new AutotuneError('E_SPACE_INVALID', `${where(path)}: ${key ? `${key}: ` : ''}${what}`, {
      hint,
      context: { file, key },
    });
  };

  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = err.linePos?.[0];
    const firstLine = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new AutotuneError('E_SPACE_INVALID', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML: ${firstLine}`, {
      hint: 'fix the YAML syntax (see search-spaces/sn44.yaml for a complete example)',
      context: { file },
    });
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    fail([], `expected a mapping with params, reference and baselines, got ${quote(data)}`, 'see search-spaces/quick.yaml for the format');
  }
  const top = checkShape(fileSchema, data, [], fail);

  const params: ParamSpec[] = [];
  const paramEntries = Object.entries(top.params);
  if (paramEntries.length === 0) fail(['params'], 'no params: a space needs at least one searched knob', 'add a knob under params');
  const checkKnown = knownKnobCheck(check, fail);
  for (const [name, raw] of paramEntries) {
    params.push(parseParam(name, raw, fail));
    checkKnown(name, ['params', name]);
  }

  const fixed: Config = {};
  for (const [name, value] of Object.entries(top.fixed ?? {})) {
    checkEnvName(name, ['fixed', name], fail);
    checkKnown(name, ['fixed', name]);
    if (params.some((p) => p.name === name)) {
      fail(['fixed', name], `${name} is both searched (params) and fixed`, `remove it from params or from fixed`);
    }
    fixed[name] = normalizeValue(value);
  }

  checkConditions(params, fixed, fail);
  const space: Space = {
    name: top.name ?? basename(file),
    file,
    ...(top.description !== undefined ? { description: top.description } : {}),
    params,
    fixed,
    reference: {},
    baselines: [],
  };
  const withLine = (err: unknown): never => {
    if (isAutotuneError(err, 'E_SPACE_INVALID') && typeof err.context.key === 'string') {
      const path = err.context.key.split('.');
      throw new AutotuneError('E_SPACE_INVALID', err.message.replace(`${file}:`, `${where(path)}:`), {
        hint: err.hint,
        context: err.context,
      });
    }
    throw err;
  };
  try {
    orderedParams(space);
  } catch (err) {
    withLine(err);
  }
  try {
    space.reference = completeConfig(space, top.reference, { label: 'reference', allowOutside: true });
  } catch (err) {
    withLine(err);
  }
  for (const [name, partial] of Object.entries(top.baselines ?? {})) {
    try {
      space.baselines.push({ name, config: completeConfig(space, partial, { label: `baselines.${name}` }) });
    } catch (err) {
      withLine(err);
    }
  }
  return space;
}

type Fail = (path: Path, what: string, hint: string) => never;

function parseParam(name: string, raw: unknown, fail: Fail): ParamSpec {
  const path = ['params', name];
  checkEnvName(name, path, fail);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail(path, `expected a mapping with at least a type, got ${quote(raw)}`, `write e.g. ${name}: { type: int, low: 1, high: 8 }`);
  }
  const type = (raw as Record<string, unknown>).type;
  if (!(typeof type === 'string' && type in paramSchemas)) {
    fail([...path, 'type'], type === undefined ? 'missing' : `${quote(type)} is not a param type`, 'use one of bool, int, float, categorical');
  }
  const spec = checkShape(paramSchemas[type as ParamFileType], raw, path, fail) as Record<string, unknown>;
  const p: ParamSpec = { name, type: type as ParamSpec['type'] };
  if (typeof spec.description === 'string') p.description = spec.description;

  if (p.type === 'categorical') {
    const choices = (spec.choices as KnobValue[]).map(normalizeValue);
    const seen = new Set<KnobValue>();
    choices.forEach((c, i) => {
      if (seen.has(c)) fail([...path, 'choices', i], `${quote(c)} is listed twice`, 'list each choice once');
      seen.add(c);
    });
    p.choices = choices;
  }
  if (p.type === 'int' || p.type === 'float') {
    const low = spec.low as number;
    const high = spec.high as number;
    const step = spec.step as number | undefined;
    const log = spec.log as boolean | undefined;
    if (low > high) fail([...path, 'low'], `low (${low}) is greater than high (${high})`, 'swap them or fix the range');
    if (log && low <= 0) fail([...path, 'low'], `log scale needs low > 0, got ${low}`, 'raise low above 0 or drop log: true');
    if (log && step !== undefined && (p.type === 'float' || step !== 1)) {
      fail([...path, 'step'], `step (${step}) cannot be combined with log: true`, 'drop the step or the log scale');
    }
    if (step !== undefined && !onStep(high - low, step)) {
      fail([...path, 'step'], `step (${step}) does not divide high - low (${high} - ${low})`, 'choose a step that divides the range, or move high');
    }
    p.low = low;
    p.high = high;
    if (step !== undefined) p.step = step;
    if (log) p.log = true;
  }
  if (spec.requires !== undefined) {
    const requires = spec.requires as string[];
    requires.forEach((cap, i) => {
      if (!(CAPABILITIES as readonly string[]).includes(cap)) {
        fail([...path, 'requires', i], `unknown capability ${quote(cap)}`, `use ${CAPABILITIES.join(' or ')}`);
      }
    });
    if (p.type !== 'bool' && spec.default === undefined) {
      fail([...path, 'default'], `missing: a non-bool knob with requires needs a default to pin where the capability is absent`, 'add a default');
    }
    p.requires = requires;
  }
  if (spec.when !== undefined) p.when = spec.when as ParamSpec['when'];
  if (spec.default !== undefined) {
    const value = normalizeValue(spec.default as KnobValue);
    const problem = valueProblem(p, value);
    if (problem) fail([...path, 'default'], problem, `set a default inside the param's ${p.type === 'categorical' ? 'choices' : 'range'}`);
    p.default = value;
  }
  return p;
}

function checkConditions(params: ParamSpec[], fixed: Config, fail: Fail): void {
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const p of params) {
    for (const [knob, allowed] of Object.entries(p.when ?? {})) {
      const path = ['params', p.name, 'when', knob];
      if (knob === p.name) fail(path, `${p.name} cannot depend on itself`, 'name another knob in the condition');
      const target = byName.get(knob);
      if (!target && !(knob in fixed)) {
        fail(path, `the condition names unknown knob ${quote(knob)}`, `name a knob under params or fixed: ${[...byName.keys(), ...Object.keys(fixed)].join(', ')}`);
      }
      const list = (Array.isArray(allowed) ? allowed : [allowed]).map(normalizeValue);
      if (target) {
        list.forEach((v) => {
          const problem = valueProblem(target, v);
          if (problem) fail(path, `${knob} can never be ${quote(v)}: ${problem}`, `use values of params.${knob}`);
        });
      } else if (!list.includes(fixed[knob])) {
        fail(path, `${knob} is fixed to ${quote(fixed[knob])}, so ${p.name} would never be searched`, `match the fixed value or move ${p.name} to fixed`);
      }
      p.when![knob] = Array.isArray(allowed) ? list : list[0];
    }
  }
}

/** Refuses a knob the evaluator does not understand, naming the nearest one it does. */
function knownKnobCheck(check: SpaceCheck, fail: Fail): (name: string, path: Path) => void {
  const knobs = check.knobs ?? 'any';
  if (knobs === 'any') return () => {};
  const known = new Set(knobs);
  const evaluator = check.evaluator ?? 'the evaluator';
  return (name, path) => {
    if (known.has(name)) return;
    const near = closestName(name, knobs);
    fail(
      path,
      `unknown knob ${quote(name)}${near ? `, did you mean ${near}?` : ''}`,
      check.knobsFrom
        ? `${evaluator} understands ${knobs.join(', ')}, the names in ${check.knobsFrom}: fix the name there or here, or remove the knob`
        : `${evaluator} understands ${knobs.join(', ')}; fix the name or remove the knob`,
    );
  };
}

function checkEnvName(name: string, path: Path, fail: Fail): void {
  if (!ENV_NAME.test(name)) {
    fail(path, `${quote(name)} is not an environment variable name`, 'knobs are the miner\'s variables: upper case, digits and _, e.g. IMG_SIZE');
  }
}

/** Runs a zod schema; the first problem becomes an E_SPACE_INVALID with its key path. */
function checkShape<S extends z.ZodObject>(schema: S, value: unknown, base: Path, fail: Fail): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [...base, ...(issue.path as Path)];
  const actual = valueAt(value, issue.path as Path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const allowed = schemaAt(schema, issue.path as Path);
      return fail([...path, key], 'unknown key', allowed ? `allowed keys here: ${allowed.join(', ')}` : 'remove it');
    }
    case 'invalid_type': {
      const expected = issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected;
      if (actual === undefined) return fail(path, `missing (${expected} expected)`, 'add it (see search-spaces/quick.yaml)');
      return fail(path, `expected ${expected}, got ${quote(actual)}`, 'fix the value');
    }
    case 'invalid_union':
      return fail(path, `${quote(actual)} is not a number, string or boolean (or a list of them where allowed)`, 'fix the value');
    case 'too_small':
      if (Array.isArray(actual)) return fail(path, 'must not be empty', 'list at least one value');
      return fail(path, `${quote(actual)} is too small (${issue.message})`, 'fix the value');
    default:
      return fail(path, `${quote(actual)}: ${issue.message}`, 'fix the value');
  }
}

function valueAt(value: unknown, path: Path): unknown {
  let v: unknown = value;
  for (const key of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined;
  return v;
}

function schemaAt(schema: z.ZodObject, path: Path): string[] | undefined {
  return path.length === 0 ? allowedKeys(schema) : undefined;
}

function basename(file: string): string {
  const last = file.split(/[\\/]/).pop() ?? file;
  return last.replace(/\.ya?ml$/i, '');
}
