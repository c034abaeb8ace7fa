// A fresh database of the suite's throwaway PostgreSQL cluster (test/helpers/postgres-cluster.ts).

import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase } from './postgres-cluster.js';

const cluster = inject('postgres');

/** Why the PostgreSQL tests skip here, or null when they run. */
export const postgresSkip: string | null = cluster.skip;

/** Prints the reason once per file; use with describe.skipIf(postgresSkip !== null). */
export function sayWhyPostgresSkips(what: string): void {
  if (postgresSkip) console.log(`skipping ${what}: ${postgresSkip}`);
}

/** The admin URL of a database named `name` (the cluster's own database 'postgres' by default). */
export function adminUrl(name = 'postgres'): string {
  return `${cluster.url}${name}`;
}

/** Creates an empty database and returns its URL. */
export async function freshDatabase(label = 'autotune'): Promise<string> {
  return createDatabase(cluster.url!, `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`);
}

/** Runs SQL on a database as the admin (to age a heartbeat, end a connection, fake a newer schema). */
export async function adminQuery(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
