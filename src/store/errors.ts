// The store's failures, for every backend: each backend maps its own errors (SQLite result codes,
// PostgreSQL SQLSTATEs) onto these, so a command sees the same codes and words whatever holds the data.
// `where` names the store for the user: a file path, or a database URL without its password.

import { AutotuneError } from '../errors.js';
import type { TrialRecord } from './types.js';

/** A read-only command pointed at a store that does not exist (E_NOT_FOUND). */
export function noStore(where: string): AutotuneError {
  return new AutotuneError('E_NOT_FOUND', `no results database at ${where}`, {
    hint: 'run `autotune run ...` first, or pass the --db file or --storage URL a study wrote',
  });
}

/** No study of that name (E_NOT_FOUND). */
export function unknownStudy(name: string, where: string): AutotuneError {
  return new AutotuneError('E_NOT_FOUND', `no study named "${name}" in ${where}`, {
    hint: 'run `autotune run --study NAME ...` first, or pass --db / --storage / --study of an existing study',
  });
}

/** createStudy with a name already taken (E_STUDY). */
export function studyExists(name: string, where: string): AutotuneError {
  return new AutotuneError('E_STUDY', `study "${name}" already exists in ${where}`, {
    hint: 'pick another --study name, or re-run it to resume',
  });
}

/** A trial id the store does not hold (E_STORE: the caller's bug or a foreign database). */
export function unknownTrial(id: number, where: string): AutotuneError {
  return new AutotuneError('E_STORE', `trial id ${id} does not exist in ${where}`);
}

/** A write to a finished trial (E_STORE): finished trials are immutable. */
export function finishedTrial(trial: TrialRecord, action: string): AutotuneError {
  return new AutotuneError('E_STORE', `trial ${trial.number} is ${trial.state}: cannot ${action}`, {
    hint: 'finished trials are immutable; start a new trial instead',
    context: { trial: trial.number, state: trial.state },
  });
}

/** Another writer held the store longer than we wait (E_STORE_LOCKED). */
export function storeLocked(where: string, waitedMs: number, cause: unknown): AutotuneError {
  return new AutotuneError('E_STORE_LOCKED', `the results database ${where} is locked by another process (waited ${(waitedMs / 1000).toFixed(1)} s)`, {
    hint: 'wait for the other autotune command to finish, or use another --db',
    cause,
  });
}

/** Something that is not an autotune store, or a damaged one (E_STORE). */
export function notAStore(where: string, cause: unknown): AutotuneError {
  return new AutotuneError('E_STORE', `${where} is not an autotune results database (${messageOf(cause)})`, {
    hint: 'pass --db with another file name',
    cause,
    exitCode: 2,
  });
}

/** The store cannot be opened for writing (E_STORE). */
export function cannotOpen(where: string, cause: unknown): AutotuneError {
  return new AutotuneError('E_STORE', `cannot open ${where} for writing (${messageOf(cause)})`, {
    hint: 'check the folder exists and is writable, or pass another --db',
    cause,
  });
}

/** A store written by a newer autotune (E_STORE). */
export function newerSchema(where: string, found: number, understood: number): AutotuneError {
  return new AutotuneError('E_STORE', `${where} has schema version ${found}, newer than this autotune understands (${understood})`, {
    hint: 'upgrade autotune, or pass another --db / --storage',
  });
}

/** The PostgreSQL server cannot be reached (E_STORE). */
export function unreachable(where: string, cause: unknown): AutotuneError {
  return new AutotuneError('E_STORE', `cannot reach the PostgreSQL server of ${where} (${messageOf(cause)})`, {
    hint: 'check that the server runs and the host and port in --storage',
    cause,
  });
}

/** The server refused the login (E_STORE). */
export function loginRefused(where: string, user: string, cause: unknown): AutotuneError {
  return new AutotuneError('E_STORE', `PostgreSQL refused the login of user "${user}" at ${where} (${messageOf(cause)})`, {
    hint: 'check the user and password in --storage (or PGPASSWORD, ~/.pgpass) and the server\'s pg_hba.conf',
    cause,
  });
}

/** The server has no database of that name (E_NOT_FOUND). */
export function unknownDatabase(where: string, database: string, createCommand: string): AutotuneError {
  return new AutotuneError('E_NOT_FOUND', `the PostgreSQL server of ${where} has no database "${database}"`, {
    hint: `create it (${createCommand}) or fix the database name in --storage`,
  });
}

/** The connection dropped and did not come back within the retry budget (E_STORE). */
export function connectionLost(where: string, waitedMs: number, cause: unknown): AutotuneError {
  return new AutotuneError('E_STORE', `lost the connection to ${where} and could not get it back within ${(waitedMs / 1000).toFixed(0)} s (${messageOf(cause)})`, {
    hint: 'check the server and the network; every finished trial is stored: re-run the same command to resume',
    cause,
  });
}

/** A study id the store does not hold (E_STORE). */
export function unknownStudyId(id: number, where: string): AutotuneError {
  return new AutotuneError('E_STORE', `study id ${id} does not exist in ${where}`);
}

/** Why a stale trial was failed: its worker stopped sending heartbeats. */
const STALE_PREFIX = 'no heartbeat for more than ';

export function staleReason(timeoutS: number, host: string, pid: number): string {
  return `${STALE_PREFIX}${timeoutS} s from its worker (${host} pid ${pid})`;
}

/** Whether a FAIL trial's reason says its worker went silent (it died), not that its config failed. */
export function isStaleReason(reason: string): boolean {
  return reason.startsWith(STALE_PREFIX);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
