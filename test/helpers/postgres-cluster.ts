// vitest globalSetup: one throwaway PostgreSQL cluster for the whole suite (initdb in a temporary
// folder, its own port and socket folder, stopped and removed afterwards). Test files get a fresh
// database of it through test/helpers/postgres.ts. Where PostgreSQL is not installed or does not
// start, the tests that need it skip with the reason (scripts/install-system-deps.sh installs it).

import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { findOnPath } from '../../src/util/executable.js';

/** The cluster's one user that must give a password. */
export const PASSWORD_USER = { name: 'autotune_pw', password: 'right-password' };

export interface PostgresCluster {
  /** Admin URL without a database name (append one); null when skipped. */
  url: string | null;
  /** Why the PostgreSQL tests skip; null when the cluster runs. */
  skip: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresCluster;
  }
}

/** The folder with initdb and pg_ctl: PATH first, then Debian's /usr/lib/postgresql/<newest>/bin. */
function binDir(): string | null {
  const onPath = findOnPath('pg_ctl', process.env.PATH);
  if (onPath && findOnPath('initdb', process.env.PATH)) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  /** Admin URL without a database name (append one). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway cluster; throws with the reason when PostgreSQL is missing or does not start.
 * `durable`: fsync and synchronous commits on, as a production server runs (benchmarks); the tests
 * run without them.
 */
export async function startThrowawayCluster(options: { durable?: boolean } = {}): Promise<Cluster> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL is not installed (scripts/install-system-deps.sh installs it as root)');
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'autotune-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  mkdirSync(sockets);
  // As root, the server runs as the postgres user, on folders it owns.
  const as = async (file: string, args: string[]) =>
    root ? execa('runuser', ['-u', 'postgres', '--', join(bin, file), ...args]) : execa(join(bin, file), args);
  const stop = async () => {
    await as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (root) await execa('chown', ['-R', 'postgres', dir]);
    await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    // One user logs in with a password (every other one is trusted), for the refused-login test.
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, `host all ${PASSWORD_USER.name} 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
    const port = await freePort();
    const settings = [`-p ${port}`, `-k ${sockets}`, '-c listen_addresses=127.0.0.1', '-c max_connections=300'];
    if (!options.durable) settings.push('-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off');
    await as('pg_ctl', ['-D', data, '-o', settings.join(' '), '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    const url = `postgres://postgres@127.0.0.1:${port}/`;
    const admin = new pg.Client({ connectionString: `${url}postgres` });
    await admin.connect();
    await admin.query(`CREATE ROLE ${PASSWORD_USER.name} LOGIN PASSWORD '${PASSWORD_USER.password}'`);
    await admin.end();
    return { url, stop };
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-3).join(' / ') : '';
    await stop();
    const why = (err as { shortMessage?: string }).shortMessage ?? String(err);
    throw new Error(`the throwaway PostgreSQL cluster did not start (${why}${log ? `; ${log}` : ''})`);
  }
}

/** Creates an empty database on the cluster at `clusterUrl` and returns its URL. */
export async function createDatabase(clusterUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: `${clusterUrl}postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return `${clusterUrl}${name}`;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const cluster = await startThrowawayCluster();
    project.provide('postgres', { url: cluster.url, skip: null });
    return cluster.stop;
  } catch (err) {
    project.provide('postgres', { url: null, skip: (err as Error).message });
    return async () => {};
  }
}
