// Where a store lives, from the text a user gave (--storage URL, --db FILE): a PostgreSQL URL
// (postgres:// or postgresql://, read as node-postgres reads it, `?host=/socket/dir` included) or the
// path of a SQLite file.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'pg-connection-string';
import { AutotuneError } from '../errors.js';

export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  /** `url` keeps the password for connecting; `display` is the URL without it, for messages. */
  | { kind: 'postgres'; url: string; display: string; user: string; database: string; createCommand: string };

const POSTGRES = /^postgres(ql)?:\/\//i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isPostgresUrl(text: string): boolean {
  return POSTGRES.test(text);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Parses a store location; E_USAGE for a URL of another scheme or a PostgreSQL URL without a database,
 * E_INPUT for a folder given as the SQLite file.
 */
export function parseLocation(text: string, option = '--storage'): StoreLocation {
  if (text.trim() === '') throw new AutotuneError('E_USAGE', `${option} is empty`, { hint: 'pass a SQLite file or a postgres:// URL' });
  if (!isPostgresUrl(text)) {
    if (SCHEME.test(text)) {
      throw new AutotuneError('E_USAGE', `${option} ${redact(text)}: unknown kind of store`, {
        hint: 'pass postgres://user@host:port/database or the path of a SQLite file',
      });
    }
    if (isFolder(text)) {
      throw new AutotuneError('E_INPUT', `${option} ${text} is a folder, not a results database file`, {
        hint: `pass a file path, e.g. ${option} ${join(text, 'autotune.db')}`,
      });
    }
    return { kind: 'sqlite', path: text };
  }
  let parts: ReturnType<typeof parse>;
  try {
    parts = parse(text);
  } catch {
    throw new AutotuneError('E_USAGE', `${option} ${redact(text)} is not a valid URL`, { hint: 'e.g. postgres://autotune@db.example:5432/autotune' });
  }
  const database = parts.database ?? '';
  if (!database) {
    throw new AutotuneError('E_USAGE', `${option} ${redact(text)} names no database`, {
      hint: 'end the URL with /DATABASE, e.g. postgres://autotune@db.example:5432/autotune',
    });
  }
  const user = parts.user || process.env.PGUSER || process.env.USER || 'postgres';
  const host = parts.host ?? '';
  const createCommand = `createdb${host ? ` -h ${host}` : ''}${parts.port ? ` -p ${parts.port}` : ''} -U ${user} ${database}`;
  return { kind: 'postgres', url: text, display: redact(text), user, database, createCommand };
}

/** The location as messages and stored settings show it: a URL's password replaced by ***. */
export function redact(text: string): string {
  if (!SCHEME.test(text)) return text;
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*:)[^@/?#]*@/i, '$1***@').replace(/([?&]password=)[^&#]*/i, '$1***');
}
