// Restart-to-ready: restart the miner with some values and wait until the process runs with them and
// its endpoint answers, bounded by the ready timeout. The time is from the restart to the endpoint's
// first answer; the process checks run beside the endpoint polls so their own cost is not counted.

import { AutotuneError } from '../errors.js';
import type { Restarter } from './restart/index.js';
import { endpointAnswers } from './send.js';

const POLL_MS = 50;
const PROCESS_CHECK_MS = 500;

export interface ReadyOptions {
  minerUrl: string;
  readyTimeoutS: number;
  afterFailure?: boolean;
  signal?: AbortSignal | undefined;
}

/**
 * Putting the miner back on the values it ran with never waits less than this, whatever
 * --ready-timeout says: a short timeout is for cutting off configs that do not come up, and the
 * miner as found is known to come up.
 */
export const RESTORE_TIMEOUT_S = 120;

/** Returns the restart-to-ready seconds; throws E_MINER (with the miner's last log lines) when it does not come up. */
export async function restartUntilReady(restarter: Restarter, values: Record<string, string>, o: ReadyOptions): Promise<number> {
  const t0 = performance.now();
  const deadline = t0 + o.readyTimeoutS * 1000;
  // Whole milliseconds: undici refuses a fractional timeout.
  const left = () => Math.max(1, Math.ceil(deadline - performance.now()));
  try {
    await restarter.restart(values, { timeoutMs: left(), afterFailure: o.afterFailure ?? false });
    let confirmed = false;
    let confirmError: unknown = null;
    void restarter.confirm(values, left()).then(
      () => (confirmed = true),
      (err: unknown) => (confirmError = err),
    );
    let answeredAt: number | null = null;
    let lastCheck = performance.now();
    for (;;) {
      if (confirmError) throw confirmError;
      if (answeredAt === null && (await endpointAnswers(o.minerUrl, Math.min(2000, left())))) answeredAt = performance.now();
      if (answeredAt !== null && confirmed) break;
      if (confirmed && performance.now() - lastCheck >= PROCESS_CHECK_MS) {
        lastCheck = performance.now();
        const why = await restarter.stopped();
        if (why) throw new AutotuneError('E_MINER', `the miner stopped while starting: ${why}`);
      }
      if (o.signal?.aborted) throw new AutotuneError('E_INTERRUPTED', 'interrupted while the miner restarted');
      if (performance.now() >= deadline) {
        throw new AutotuneError('E_MINER', `the miner did not ${confirmed ? `answer at ${o.minerUrl}` : 'come up with the new values'} within ${o.readyTimeoutS} s`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return (answeredAt - t0) / 1000;
  } catch (err) {
    const logs = await restarter.lastLogLines().catch(() => '');
    const message = err instanceof Error ? err.message : String(err);
    throw new AutotuneError(err instanceof AutotuneError ? err.code : 'E_MINER', `${restarter.label}: ${message}${logs ? `; its last log lines: ${logs}` : ''}`, {
      hint: 'check the miner\'s logs for why it failed with these values',
      cause: err,
    });
  }
}
