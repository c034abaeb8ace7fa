// The tuned env file (emit's best.env) read strictly: only `KEY=VALUE` / `export KEY=VALUE` lines with
// plain values, comments and blank lines. Anything else refuses the whole file, so nothing from a study
// file can inject shell or extra lines into the miner's .env.
import { readFile } from 'node:fs/promises';
import { AutotuneError } from '../errors.js';
import { ENV_NAME, isLoaderVariable, PLAIN_ENV_VALUE } from '../util/env-names.js';

export interface TunedValue {
  key: string;
  value: string;
  line: number;
}

const LINE = /^(?:export\s+)?([^=\s]*)=(\S*)(?:\s+#.*)?$/;

/**
 * Validates tuned-env lines; throws E_ENV_FILE naming the first offending line. No variable at all is
 * fine here (a config that sets no knob runs the miner as it is); a tuned env *file* must set one
 * (parseTunedEnv).
 */
export function parseTunedLines(text: string, source: string): TunedValue[] {
  const values: TunedValue[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const refuse = (why: string) => {
      throw new AutotuneError('E_ENV_FILE', `${source}:${line}: ${why}: ${JSON.stringify(raw)}; nothing was changed`, {
        hint: 'tuned env files hold KEY=VALUE lines with names [A-Z_][A-Z0-9_]* and plain values (no quotes, spaces or shell characters)',
        context: { path: source, line },
      });
    };
    const match = LINE.exec(trimmed);
    if (!match) return refuse('not a plain KEY=VALUE line');
    const [, key, value] = match as unknown as [string, string, string];
    if (!ENV_NAME.test(key)) return refuse(`invalid name "${key}"`);
    if (isLoaderVariable(key)) return refuse(`${key} changes how programs load (like PATH, LD_*, NODE_OPTIONS, PYTHONPATH); apply never writes it`);
    if (!PLAIN_ENV_VALUE.test(value)) return refuse(`value of ${key} is not a plain value`);
    const previous = values.findIndex((v) => v.key === key);
    if (previous >= 0) return refuse(`${key} is set twice (first on line ${values[previous]!.line})`);
    values.push({ key, value, line });
  });
  return values;
}

/** A tuned env file (emit's best.env): valid lines, at least one variable (an empty file is a mistake, not "change nothing"). */
export function parseTunedEnv(text: string, source: string): TunedValue[] {
  const values = parseTunedLines(text, source);
  if (values.length === 0) {
    throw new AutotuneError('E_ENV_FILE', `${source} sets no variables; nothing was changed`, {
      hint: 'pass the best.env written by autotune emit',
    });
  }
  return values;
}

/** The space file named in the header emit writes (`best config of study "x" (FILE), trial N`), if any. */
export function tunedEnvSpace(text: string): string | null {
  return /^# sn44-autotune: best config of study ".*" \((.+?)\), trial \d+/m.exec(text)?.[1] ?? null;
}

/** The host the winner was measured on, from the header emit writes (`host: NAME, date: ...`), if any. */
export function tunedEnvHost(text: string): string | null {
  return /^# host: (\S+), date: /m.exec(text)?.[1] ?? null;
}

export interface TunedEnv {
  values: TunedValue[];
  /** The search space the study that wrote the file searched, from its header. */
  spaceFile: string | null;
  /** The host its figures were measured on, from its header. */
  host: string | null;
}

export async function readTunedEnv(path: string): Promise<TunedEnv> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AutotuneError('E_ENV_FILE', `cannot read the tuned env file ${path}: ${(err as Error).message}`, {
      hint: 'run autotune emit first or pass --env FILE',
      cause: err,
    });
  }
  return { values: parseTunedEnv(text, path), spaceFile: tunedEnvSpace(text), host: tunedEnvHost(text) };
}
