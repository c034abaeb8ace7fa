// Shell-style env files as miners keep them (`.env`, `miner.env`): `KEY=VALUE` and `export KEY=VALUE`
// lines, comments, single and double quotes. The rules follow POSIX sh where a sourced file and
// python-dotenv agree, and pick the lenient reading where they differ:
// - `# ...` lines and blank lines are ignored; a `#` after whitespace ends an unquoted value.
// - `export KEY=VALUE` and `KEY=VALUE` are the same entry (`exported` tells which); `export KEY` alone
//   (no `=`) sets nothing and is skipped, as in sh.
// - Single quotes: literal, may span lines. Double quotes: `\"`, `\\`, `\$` and `` \` `` are unescaped
//   (sh), other backslashes are kept; may span lines. After the closing quote only whitespace or a
//   comment may follow.
// - Unquoted values: the rest of the line up to ` #`, trimmed; inner spaces are kept (dotenv reads
//   `A=b c` as "b c", where sh would run `c`).
// - No `$VAR` expansion: values are taken literally (the tuner writes and compares literal values).
// - CRLF line ends and a UTF-8 BOM are accepted. A repeated key: the last one wins in `values`.
// Anything else (a line without `=`, a bad key, an unterminated quote) is an error naming the line.

import { readFile } from 'node:fs/promises';
import { AutotuneError } from '../errors.js';

export interface EnvEntry {
  key: string;
  value: string;
  /** Line numbers (1-based) of the entry's first and last line; they differ for multi-line quotes. */
  line: number;
  endLine: number;
  exported: boolean;
}

export interface EnvFile {
  entries: EnvEntry[];
  /** Key -> value, the last assignment winning. */
  values: Record<string, string>;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class EnvParseError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'EnvParseError';
  }
}

/** Parses env-file text; throws EnvParseError naming the line of the first problem. */
export function parseEnv(text: string): EnvFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: EnvEntry[] = [];
  let i = 0;
  while (i < lines.length) {
    const lineNo = i + 1;
    const trimmed = lines[i]!.trim();
    i += 1;
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let body = trimmed;
    let exported = false;
    const exportMatch = /^export\s+/.exec(body);
    if (exportMatch) {
      exported = true;
      body = body.slice(exportMatch[0].length);
    }
    const eq = body.indexOf('=');
    if (eq < 0) {
      if (exported && body.split(/\s+/).every((k) => KEY.test(k))) continue; // `export KEY`: sets nothing
      throw new EnvParseError(lineNo, `expected KEY=VALUE, got "${trimmed}"`);
    }
    const key = body.slice(0, eq);
    if (!KEY.test(key)) throw new EnvParseError(lineNo, `invalid variable name "${key}"`);
    const rest = body.slice(eq + 1);
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      const parsed = readQuoted(rest, quote, lines, i, lineNo);
      i = parsed.nextLine;
      entries.push({ key, value: parsed.value, line: lineNo, endLine: parsed.endLine, exported });
    } else {
      entries.push({ key, value: readUnquoted(rest), line: lineNo, endLine: lineNo, exported });
    }
  }
  const values: Record<string, string> = {};
  for (const e of entries) values[e.key] = e.value;
  return { entries, values };
}

function readUnquoted(rest: string): string {
  const comment = /\s#/.exec(rest);
  return (comment ? rest.slice(0, comment.index) : rest).trim();
}

function readQuoted(
  first: string,
  quote: string,
  lines: string[],
  nextIndex: number,
  lineNo: number,
): { value: string; endLine: number; nextLine: number } {
  let text = first.slice(1);
  let index = nextIndex;
  let value = '';
  for (;;) {
    let pos = 0;
    while (pos < text.length) {
      const ch = text[pos]!;
      if (ch === quote) {
        const tail = text.slice(pos + 1).trim();
        if (tail !== '' && !tail.startsWith('#')) {
          throw new EnvParseError(index, `unexpected text after the closing quote: "${tail}"`);
        }
        return { value, endLine: index, nextLine: index };
      }
      if (quote === '"' && ch === '\\' && pos + 1 < text.length && '"\\$`'.includes(text[pos + 1]!)) {
        value += text[pos + 1];
        pos += 2;
        continue;
      }
      value += ch;
      pos += 1;
    }
    if (index >= lines.length) throw new EnvParseError(lineNo, `unterminated ${quote} quote`);
    value += '\n';
    text = lines[index]!;
    index += 1;
  }
}

/** Reads and parses an env file; errors are AutotuneError E_ENV_FILE naming the file and line. */
export async function readEnvFile(path: string): Promise<EnvFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AutotuneError('E_ENV_FILE', `cannot read env file ${path}: ${(err as Error).message}`, {
      hint: 'check the path',
      cause: err,
    });
  }
  try {
    return parseEnv(text);
  } catch (err) {
    if (err instanceof EnvParseError) {
      throw new AutotuneError('E_ENV_FILE', `${path}:${err.line}: ${err.reason}`, {
        hint: 'env files hold KEY=VALUE or export KEY=VALUE lines',
        context: { path, line: err.line },
      });
    }
    throw err;
  }
}

/** Formats a value so that parseEnv (and sh) read it back unchanged; quotes only when needed. */
export function formatEnvValue(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]*$/.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
}

/** One `KEY=VALUE` line (with `export ` when asked). */
export function formatEnvLine(key: string, value: string, options: { exported?: boolean } = {}): string {
  if (!KEY.test(key)) throw new RangeError(`invalid variable name "${key}"`);
  return `${options.exported ? 'export ' : ''}${key}=${formatEnvValue(value)}`;
}
