// The worker a trial records (this host and process), and whether a trial's worker on this host is gone.

import { hostname } from 'node:os';
import type { TrialRecord } from './types.js';
import { processRuns } from '../util/process.js';

/**
 * The name trials record as their host: AUTOTUNE_HOST_NAME when set (a fleet whose machines share a
 * hostname, or a test playing two hosts on one machine), else the hostname.
 */
export function workerHost(): string {
  const name = process.env.AUTOTUNE_HOST_NAME?.trim();
  return name ? name : hostname();
}

/**
 * A RUNNING trial whose worker is known to be gone: this very process, or a process of this host that
 * no longer exists. A trial of another host is gone only in a store that serves one host (a SQLite
 * file that moved here); in a shared store only its heartbeats tell (failStaleTrials).
 */
export function leftBehind(trial: Pick<TrialRecord, 'workerHost' | 'workerPid'>, sharedStore: boolean): boolean {
  if (trial.workerHost !== workerHost()) return !sharedStore;
  if (trial.workerPid === process.pid) return true;
  return !processRuns(trial.workerPid);
}
