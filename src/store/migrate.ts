// Applies the pending migrations in order, each in its own IMMEDIATE transaction so two processes
// opening a fresh file at once cannot both apply one.

import type Database from 'better-sqlite3';
import { AutotuneError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export function migrate(db: Database.Database, path: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() > SCHEMA_VERSION) {
    throw new AutotuneError(
      'E_STORE',
      `${path} has schema version ${version()}, newer than this autotune understands (${SCHEMA_VERSION})`,
      { hint: 'upgrade autotune, or pass another --db' },
    );
  }
  for (const migration of MIGRATIONS) {
    if (db.readonly) break;
    db.transaction(() => {
      if (version() >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
