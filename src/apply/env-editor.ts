// A round-trip-preserving editor for the miner's .env: every line it does not change is kept byte for
// byte (comments, blank lines, order, quoting, line ends). Values are read by the same rules as
// util/envfile.ts; a file it cannot keep intact (multi-line quoted values, lines that are neither
// KEY=VALUE, export, comment nor blank) is refused rather than rewritten.
import { AutotuneError } from '../errors.js';
import { EnvParseError, formatEnvValue, parseEnv } from '../util/envfile.js';

interface EntryLine {
  key: string;
  value: string;
  /** Text before the value (indent, `export `, `KEY=`), the value as written, and what follows it. */
  head: string;
  written: string;
  tail: string;
}

export interface EditableEnv {
  bom: string;
  eol: string;
  /** The lines without their ends; the last element is '' when the text ends with a newline. */
  lines: string[];
  entries: Map<number, EntryLine>;
}

/** Parses .env text for editing; throws E_ENV_FILE naming the line it cannot keep intact. */
export function parseEditableEnv(text: string, source: string): EditableEnv {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = text.slice(bom.length);
  const refuse = (line: number, why: string): never => {
    throw new AutotuneError('E_ENV_FILE', `${source}:${line}: ${why}; nothing was changed`, {
      hint: 'make it single-line KEY=VALUE / export KEY=VALUE lines, comments and blank lines, then run apply again',
      context: { path: source, line },
    });
  };
  let parsed;
  try {
    parsed = parseEnv(body);
  } catch (err) {
    if (err instanceof EnvParseError) return refuse(err.line, err.reason);
    throw err;
  }
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const lines = body.split(/\r?\n/);
  const entries = new Map<number, EntryLine>();
  for (const entry of parsed.entries) {
    if (entry.endLine !== entry.line) refuse(entry.line, `${entry.key} has a multi-line quoted value that apply cannot keep intact`);
    const raw = lines[entry.line - 1]!;
    const eq = raw.indexOf('=');
    const head = raw.slice(0, eq + 1);
    const rest = raw.slice(eq + 1);
    const valueEnd = endOfValue(rest);
    entries.set(entry.line - 1, { key: entry.key, value: entry.value, head, written: rest.slice(0, valueEnd), tail: rest.slice(valueEnd) });
  }
  return { bom, eol, lines, entries };
}

/** Where the written value ends inside the text after `=`: after the closing quote, or before ` #`. */
function endOfValue(rest: string): number {
  const quote = rest[0];
  if (quote === "'" || quote === '"') {
    for (let i = 1; i < rest.length; i += 1) {
      if (quote === '"' && rest[i] === '\\') i += 1;
      else if (rest[i] === quote) return i + 1;
    }
    return rest.length;
  }
  const comment = /\s#/.exec(rest);
  const value = comment ? rest.slice(0, comment.index) : rest;
  return value.trimEnd().length;
}

/** Current value of each key (the last assignment wins, as when the file is sourced). */
export function envValues(env: EditableEnv): Record<string, string> {
  const values: Record<string, string> = {};
  for (const index of [...env.entries.keys()].sort((a, b) => a - b)) {
    const e = env.entries.get(index)!;
    values[e.key] = e.value;
  }
  return values;
}

/** Sets keys: every assignment of a present key is updated in place; new keys are appended. */
export function setEnvValues(env: EditableEnv, updates: ReadonlyArray<{ key: string; value: string }>, note: string): string {
  const lines = [...env.lines];
  const appended: string[] = [];
  for (const { key, value } of updates) {
    let found = false;
    for (const [index, e] of env.entries) {
      if (e.key !== key) continue;
      found = true;
      if (e.value !== value) lines[index] = `${e.head}${formatEnvValue(value)}${e.tail}`;
    }
    if (!found) appended.push(`${key}=${formatEnvValue(value)}`);
  }
  if (appended.length > 0) {
    const endsWithNewline = lines.length > 1 && lines[lines.length - 1] === '';
    const empty = lines.length === 1 && lines[0] === '';
    if (endsWithNewline || empty) lines.pop();
    lines.push(`# ${note}`, ...appended, '');
  }
  return env.bom + lines.join(env.eol);
}
