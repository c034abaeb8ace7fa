// Opens the store a location names: a PostgreSQL URL or a SQLite file (see location.ts). The
// PostgreSQL client loads only when a URL asks for it.

import { parseLocation } from './location.js';
import { DEFAULT_DB_PATH, type OpenStorageOptions } from './options.js';
import { openSqliteStorage } from './sqlite-storage.js';
import type { Storage } from './types.js';

export async function openStorage(location: string = DEFAULT_DB_PATH, options: OpenStorageOptions = {}): Promise<Storage> {
  const where = parseLocation(location);
  if (where.kind === 'sqlite') return openSqliteStorage(where.path, options);
  const { openPostgresStorage } = await import('./postgres/storage.js');
  return openPostgresStorage(where, options);
}
