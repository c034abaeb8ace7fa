// An undici Agent whose connector records each connection: when it was opened, when it was ready
// (TCP + TLS done), the protocol ALPN settled on, and how many are open now. The challenge timeline
// and the pool's "keep warm" rule read these records.

import { Agent, buildConnector } from 'undici';
import type { Protocol } from '../types.js';

export interface ConnectionRecord {
  /** performance.now() when the connection was asked for and when it was ready (or failed). */
  startedAt: number;
  readyAt: number | null;
  protocol: Protocol | null;
  error: Error | null;
}

export interface TrackedAgent {
  agent: Agent;
  allowH2: boolean;
  connections: ConnectionRecord[];
  /** Connections open right now. */
  readonly openSockets: number;
  /** Protocol of the most recent successful connection. */
  readonly protocol: Protocol | null;
  close(): Promise<void>;
}

export interface TrackedAgentOptions {
  allowH2: boolean;
  /** Extra trusted CA certificates (PEM), e.g. the lab server's. */
  ca?: string | undefined;
  /** How long an idle connection stays open (ms). A pool keeps it long; a one-off agent does not care. */
  keepAliveMs?: number;
  connectTimeoutMs?: number;
}

export function openTrackedAgent(options: TrackedAgentOptions): TrackedAgent {
  const connections: ConnectionRecord[] = [];
  let openSockets = 0;
  const base = buildConnector({
    allowH2: options.allowH2,
    timeout: options.connectTimeoutMs ?? 10_000,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  const connect: buildConnector.connector = (opts, callback) => {
    const record: ConnectionRecord = { startedAt: performance.now(), readyAt: null, protocol: null, error: null };
    connections.push(record);
    return base(opts, (err, socket) => {
      record.readyAt = performance.now();
      if (err || !socket) {
        record.error = err ?? new Error('no socket');
        return callback(err ?? record.error, null as never);
      }
      // Plain http has no ALPN: it is always HTTP/1.1 here (h2c is not offered).
      const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
      record.protocol = alpn === 'h2' ? 'h2' : 'http/1.1';
      openSockets += 1;
      socket.once('close', () => {
        openSockets -= 1;
      });
      return callback(null, socket);
    });
  };
  const keepAlive = options.keepAliveMs ?? 4_000;
  const agent = new Agent({
    connect,
    allowH2: options.allowH2,
    connections: 1,
    keepAliveTimeout: keepAlive,
    keepAliveMaxTimeout: Math.max(keepAlive, 4_000),
  });
  return {
    agent,
    allowH2: options.allowH2,
    connections,
    get openSockets() {
      return openSockets;
    },
    get protocol() {
      for (let i = connections.length - 1; i >= 0; i--) if (connections[i]!.protocol) return connections[i]!.protocol;
      return null;
    },
    close: () => agent.destroy().catch(() => {}),
  };
}
