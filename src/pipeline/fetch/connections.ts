// An undici Agent whose connector records each connection: when it was opened, when it was ready
// (TCP + TLS done), the protocol ALPN settled on, and how many are open now. The challenge timeline
// and the pool's "keep warm" rule read these records.

import { subscribe } from 'node:diagnostics_channel';
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
  /** The connection that carried the most recent request sent through this agent. */
  readonly lastUsed: ConnectionRecord | null;
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

// Which connection sends a request is decided inside undici; its diagnostics channel tells us.
const owners = new WeakMap<object, { record: ConnectionRecord; use(record: ConnectionRecord): void }>();
let subscribed = false;
function watchRequests(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:client:sendHeaders', (message) => {
    const socket = (message as { socket?: object }).socket;
    const owner = socket ? owners.get(socket) : undefined;
    owner?.use(owner.record);
  });
}

export function openTrackedAgent(options: TrackedAgentOptions): TrackedAgent {
  const connections: ConnectionRecord[] = [];
  const sockets = new Set<{ destroyed: boolean }>();
  let lastUsed: ConnectionRecord | null = null;
  const use = (record: ConnectionRecord) => {
    lastUsed = record;
  };
  watchRequests();
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
      sockets.add(socket);
      owners.set(socket, { record, use });
      socket.once('close', () => sockets.delete(socket));
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
      // A socket being torn down (an aborted request) counts as closed at once, not at its 'close' event.
      let open = 0;
      for (const socket of sockets) if (!socket.destroyed) open += 1;
      return open;
    },
    get lastUsed() {
      return lastUsed;
    },
    get protocol() {
      for (let i = connections.length - 1; i >= 0; i--) if (connections[i]!.protocol) return connections[i]!.protocol;
      return null;
    },
    close: () => agent.destroy().catch(() => {}),
  };
}
