// SQLite: applies the pending migrations (their `sqlite` SQL) in order, each in its own IMMEDIATE
// transaction so two processes opening a fresh file at once cannot both apply one.

import type Database from 'better-sqlite3';
import { newerSchema } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export function migrate(db: Database.Database, path: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() > SCHEMA_VERSION) {
    throw newerSchema(path, version(), SCHEMA_VERSION);
  }
  for (const migration of MIGRATIONS) {
    if (db.readonly) break;
    db.transaction(() => {
      if (version() >= migration.version) return;
      db.exec(migration.sqlite);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
