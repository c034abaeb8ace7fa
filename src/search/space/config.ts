// Configs against a space: conditions, completion with fixed values and defaults, membership,
// and the canonical key used to recognise a config already tried.
import { AutotuneError } from '../../errors.js';
import type { Config, KnobValue, ParamSpec, Space } from './types.js';
import { normalizeValue, quote, valueProblem } from './values.js';

const conditionCache = new WeakMap<ParamSpec, [string, KnobValue[]][]>();

/** A param's conditions as [knob, allowed normalized values] pairs (computed once per param). */
function conditionsOf(param: ParamSpec): [string, KnobValue[]][] {
  let list = conditionCache.get(param);
  if (!list) {
    list = Object.entries(param.when ?? {}).map(([knob, allowed]) => [
      knob,
      (Array.isArray(allowed) ? allowed : [allowed]).map(normalizeValue),
    ]);
    conditionCache.set(param, list);
  }
  return list;
}

/** Whether a param is sampled in `config`: every knob named in `when` holds one of its values. */
export function isActive(param: ParamSpec, config: Config): boolean {
  if (!param.when) return true;
  for (const [knob, allowed] of conditionsOf(param)) {
    const actual = config[knob];
    if (actual === undefined || !allowed.includes(normalizeValue(actual))) return false;
  }
  return true;
}

const orderCache = new WeakMap<Space, ParamSpec[]>();

/** Params ordered so every knob a condition names comes before the params it governs (else file order). */
export function orderedParams(space: Space): ParamSpec[] {
  const cached = orderCache.get(space);
  if (cached) return cached;
  const byName = new Map(space.params.map((p) => [p.name, p]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: ParamSpec[] = [];
  const visit = (p: ParamSpec): void => {
    if (done.has(p.name)) return;
    if (visiting.has(p.name)) {
      throw new AutotuneError('E_SPACE_INVALID', `${space.file}: params.${p.name}.when: the conditions form a cycle`, {
        hint: 'make sure no knob depends on itself through its "when" conditions',
        context: { space: space.name, file: space.file, key: `params.${p.name}.when` },
      });
    }
    visiting.add(p.name);
    for (const knob of Object.keys(p.when ?? {})) {
      const dep = byName.get(knob);
      if (dep) visit(dep);
    }
    visiting.delete(p.name);
    done.add(p.name);
    out.push(p);
  };
  space.params.forEach(visit);
  orderCache.set(space, out);
  return out;
}

/** Stable canonical JSON of a config (sorted keys, booleans as 0/1): equal configs, equal keys. */
export function configKey(config: Config): string {
  const keys = Object.keys(config).sort();
  const parts = keys.map((k) => {
    let v = normalizeValue(config[k]);
    if (typeof v === 'number' && Object.is(v, -0)) v = 0;
    return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
  });
  return `{${parts.join(',')}}`;
}

/** The key of the searched part of a config (active params only, in condition order): what samplers deduplicate on. */
export function searchKey(space: Space, config: Config): string {
  let key = '';
  for (const p of orderedParams(space)) {
    if (!(p.name in config) || !isActive(p, config)) continue;
    let v = normalizeValue(config[p.name]);
    if (typeof v === 'number' && Object.is(v, -0)) v = 0;
    key += `${p.name}=${typeof v === 'string' ? JSON.stringify(v) : v};`;
  }
  return key;
}

export interface CompleteOptions {
  /** Names the config in messages, e.g. `baselines.QUICK`; defaults to `config`. */
  label?: string;
  /** Reference mode: values need the right type only, and fixed knobs may be overridden. */
  allowOutside?: boolean;
}

/**
 * A complete config for `space` from a partial one: fixed values added, missing active params filled
 * from their defaults, inactive params dropped. Throws E_SPACE_INVALID for unknown knobs, values
 * outside the space, a fixed knob set to another value, or an active param with no value and no default.
 */
export function completeConfig(space: Space, partial: Config, options: CompleteOptions = {}): Config {
  const label = options.label ?? 'config';
  const fail = (key: string, what: string, hint: string): never => {
    throw new AutotuneError('E_SPACE_INVALID', `${space.file}: ${label}.${key}: ${what}`, {
      hint,
      context: { space: space.name, file: space.file, key: `${label}.${key}` },
    });
  };
  const params = new Map(space.params.map((p) => [p.name, p]));
  for (const [key, raw] of Object.entries(partial)) {
    if (!params.has(key) && !(key in space.fixed)) {
      fail(key, `unknown knob ${quote(key)}`, `use one of the space's knobs: ${knownKnobs(space).join(', ')}`);
    }
    if (key in space.fixed && !options.allowOutside && normalizeValue(raw) !== space.fixed[key]) {
      fail(
        key,
        `${quote(normalizeValue(raw))} differs from the fixed value ${quote(space.fixed[key])}`,
        `remove ${key} from ${label} or make it a searched param`,
      );
    }
  }
  const config: Config = { ...space.fixed };
  for (const key of Object.keys(partial)) {
    if (key in space.fixed) config[key] = normalizeValue(partial[key]);
  }
  for (const p of orderedParams(space)) {
    if (!isActive(p, config)) continue;
    const raw = partial[p.name] ?? p.default;
    if (raw === undefined) {
      fail(p.name, `no value, and the param has no default`, `set ${p.name} in ${label} or give params.${p.name} a default`);
    }
    const value = normalizeValue(raw as KnobValue);
    const problem = options.allowOutside ? typeProblem(p, value) : valueProblem(p, value);
    if (problem) fail(p.name, problem, `use a value inside params.${p.name} of ${space.file}`);
    config[p.name] = value;
  }
  return config;
}

/** Why `config` is not a complete config of `space` (exactly its fixed values and active params), or null. */
export function contains(space: Space, config: Config): string | null {
  const params = new Map(space.params.map((p) => [p.name, p]));
  for (const key of Object.keys(config)) {
    if (!params.has(key) && !(key in space.fixed)) return `${key} is not a knob of space ${quote(space.name)}`;
  }
  for (const [key, value] of Object.entries(space.fixed)) {
    if (!(key in config)) return `${key} is missing (fixed to ${quote(value)})`;
    if (normalizeValue(config[key]) !== value) {
      return `${key} is ${quote(config[key])} but fixed to ${quote(value)}`;
    }
  }
  for (const p of orderedParams(space)) {
    const active = isActive(p, config);
    if (!active) {
      if (p.name in config) return `${p.name} is set but inactive (its condition ${JSON.stringify(p.when)} does not hold)`;
      continue;
    }
    if (!(p.name in config)) return `${p.name} is missing`;
    const problem = valueProblem(p, normalizeValue(config[p.name]));
    if (problem) return `${p.name}: ${problem}`;
  }
  return null;
}

/** Names of every knob a space sets (params, then fixed). */
export function knownKnobs(space: Space): string[] {
  return [...space.params.map((p) => p.name), ...Object.keys(space.fixed)];
}

function typeProblem(p: ParamSpec, value: KnobValue): string | null {
  if (p.type === 'bool') return value === 0 || value === 1 ? null : `${quote(value)} is not a boolean (0/1)`;
  if (p.type === 'categorical') return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${quote(value)} is not a number (${p.type} expected)`;
  if (p.type === 'int' && !Number.isInteger(value)) return `${value} is not an integer`;
  return null;
}
