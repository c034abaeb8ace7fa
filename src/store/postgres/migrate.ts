// PostgreSQL: applies the pending migrations (their `postgres` SQL) in one transaction under an
// advisory lock, so workers starting at once on an empty database apply each migration once. The
// version lives in the one-row table autotune_schema.

import { newerSchema, noStore } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../schema.js';
import type { Query } from './connection.js';

/** Any constant: the advisory lock that serialises autotune's migrations on a server. */
const MIGRATION_LOCK = 0x5a417554;

export async function migratePostgres(query: Query, where: string, mustExist: boolean): Promise<void> {
  await query('BEGIN');
  try {
    await query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const exists = (await query("SELECT to_regclass('autotune_schema') IS NOT NULL AS exists"))[0]!.exists === true;
    if (!exists) {
      if (mustExist) throw noStore(where);
      await query('CREATE TABLE autotune_schema (version INTEGER NOT NULL)');
      await query('INSERT INTO autotune_schema (version) VALUES (0)');
    }
    const version = (await query('SELECT version FROM autotune_schema'))[0]!.version as number;
    if (version > SCHEMA_VERSION) throw newerSchema(where, version, SCHEMA_VERSION);
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      await query(migration.postgres);
      await query('UPDATE autotune_schema SET version = $1', [migration.version]);
    }
    await query('COMMIT');
  } catch (err) {
    await query('ROLLBACK').catch(() => {});
    throw err;
  }
}
