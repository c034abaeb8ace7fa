// Sends one challenge to a miner as a validator does and times it from the send to the last byte of
// the reply. A fresh connection per challenge: a kept-alive one would not survive the miner's restarts.

import { Client } from 'undici';
import type { ChallengeError } from '../pipeline/types.js';

export interface Reply {
  /** The reply's body; null when none arrived. */
  body: string | null;
  status: number | null;
  /** Seconds from the send to the reply's head and to its last byte. */
  headS: number | null;
  totalS: number | null;
  error: ChallengeError | null;
}

/** `path` joined onto the miner's URL (which may carry a path prefix). */
export function routeOf(minerUrl: string, path: string): URL {
  const base = new URL(minerUrl);
  return new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base.origin);
}

export async function postChallenge(url: URL, body: unknown, timeoutS: number, signal?: AbortSignal): Promise<Reply> {
  const client = new Client(url.origin, { headersTimeout: 0, bodyTimeout: 0, connect: { timeout: timeoutS * 1000 } });
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutS * 1000);
  const aborted = AbortSignal.any([timeout.signal, ...(signal ? [signal] : [])]);
  const payload = JSON.stringify(body);
  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  let headS: number | null = null;
  let status: number | null = null;
  try {
    const res = await client.request({
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
      signal: aborted,
    });
    headS = since();
    status = res.statusCode;
    const text = await res.body.text();
    const totalS = since();
    if (res.statusCode >= 300) {
      return { body: text, status, headS, totalS, error: { reason: 'http-status', message: `HTTP ${res.statusCode} from the miner: ${text.replace(/\s+/g, ' ').slice(0, 200)}` } };
    }
    return { body: text, status, headS, totalS, error: null };
  } catch (err) {
    const error: ChallengeError = timeout.signal.aborted
      ? { reason: 'timeout', message: `no complete reply from ${url.origin} within ${timeoutS} s (the validator's timeout)` }
      : signal?.aborted
        ? { reason: 'internal', message: 'the challenge was aborted' }
        : { reason: 'miner-down', message: `${url.origin}: ${connectionProblem(err)}` };
    return { body: null, status, headS, totalS: null, error };
  } finally {
    clearTimeout(timer);
    await client.destroy().catch(() => {});
  }
}

/** Whether anything answers HTTP at the miner's URL (any status counts: the server is up). */
export async function endpointAnswers(minerUrl: string, timeoutMs = 2000): Promise<boolean> {
  const url = new URL(minerUrl);
  const client = new Client(url.origin, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: timeoutMs } });
  try {
    const res = await client.request({ path: url.pathname, method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    await res.body.dump();
    return true;
  } catch {
    return false;
  } finally {
    await client.destroy().catch(() => {});
  }
}

function connectionProblem(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the miner running?)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `the connection was dropped before the reply was complete (${e.message ?? code})`;
  return `${e.message ?? String(err)}${code ? ` (${code})` : ''}`;
}
