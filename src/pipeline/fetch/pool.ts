// USE_CONNECTION_POOL=1: one tracked agent per (origin, HTTP/2 on/off), opened before a challenge's
// clock starts and kept across challenges, so a pooled challenge never pays for the handshake (like a
// miner's warm session).

import { openTrackedAgent, type TrackedAgent } from './connections.js';
import { discardBody, requestFollowingRedirects } from './redirects.js';

export interface ConnectionPoolOptions {
  ca?: string | undefined;
  /** Idle time a pooled connection is kept (ms). */
  keepAliveMs?: number;
}

export class ConnectionPool {
  private readonly agents = new Map<string, TrackedAgent>();

  constructor(private readonly options: ConnectionPoolOptions = {}) {}

  agentFor(url: string, allowH2: boolean): TrackedAgent {
    const key = `${new URL(url).origin}|${allowH2 ? 'h2' : 'h1'}`;
    let tracked = this.agents.get(key);
    if (!tracked) {
      tracked = openTrackedAgent({ allowH2, ca: this.options.ca, keepAliveMs: this.options.keepAliveMs ?? 120_000 });
      this.agents.set(key, tracked);
    }
    return tracked;
  }

  /**
   * Makes sure the agent for `url` holds a live connection right now: a one-byte GET on it (a HEAD
   * would do, but some servers close the connection after one). Sent before every challenge, since a
   * connection can die while idle (server keep-alive limits, or an aborted request, after which undici
   * reconnects by itself and the server may drop that spare connection). A failure is left for the
   * challenge to meet and report; warming never throws.
   */
  async warm(url: string, allowH2: boolean): Promise<TrackedAgent> {
    const tracked = this.agentFor(url, allowH2);
    // Up to three tries: right after an aborted request the connection undici reopens by itself can be
    // dropped just after it served the warm-up, and the challenge would then pay for a new one.
    for (let attempt = 0; attempt < 3; attempt++) {
      let keepAlive = true;
      try {
        // Following redirects warms the connection to the server that serves the video too.
        const { res } = await requestFollowingRedirects(url, {
          dispatcher: tracked.agent,
          headers: { range: 'bytes=0-0', 'accept-encoding': 'identity' },
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        keepAlive = res.headers.connection !== 'close';
        await discardBody(res.body);
      } catch {
        return tracked; // the challenge will connect itself and record what went wrong
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (keepAlive && tracked.openSockets > 0) break;
    }
    return tracked;
  }

  async close(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(all.map((a) => a.close()));
  }
}
