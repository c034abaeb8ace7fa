// Low-level timings of a link: name lookup, TCP handshake, TLS handshake (with the ALPN offer).
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { AutotuneError } from '../errors.js';
import { EXIT_DOWNLOAD } from '../pipeline/failure.js';

export interface Endpoint {
  host: string;
  port: number;
  address: string;
}

/** dns.lookup time in ms; 0 (and no lookup) for an IP literal. */
export async function timedLookup(host: string): Promise<{ address: string; ms: number }> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (net.isIP(bare)) return { address: bare, ms: 0 };
  const start = performance.now();
  try {
    const { address } = await lookup(bare);
    return { address, ms: performance.now() - start };
  } catch (err) {
    throw new AutotuneError('E_NETWORK', `cannot resolve ${bare}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: 'check the host name in the URL and the DNS setup',
      exitCode: EXIT_DOWNLOAD,
      cause: err,
    });
  }
}

/** One TCP handshake (net.connect until 'connect'), in ms. */
export function tcpConnectMs(endpoint: Endpoint, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const socket = net.connect({ host: endpoint.address, port: endpoint.port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    socket.once('connect', () => {
      const ms = performance.now() - start;
      socket.destroy();
      resolve(ms);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(unreachable(endpoint, err)));
  });
}

export interface TlsHandshake {
  /** The TCP connect of the same connection. */
  connectMs: number;
  handshakeMs: number;
  alpn: string | null;
}

/** TCP connect, then time the TLS handshake alone (connect -> secureConnect), offering h2 and http/1.1. */
export function tlsHandshake(endpoint: Endpoint, ca: string | undefined, timeoutMs = 10_000): Promise<TlsHandshake> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let connectedAt = startedAt;
    const socket = tls.connect({
      host: endpoint.address,
      port: endpoint.port,
      ...(net.isIP(endpoint.host.replace(/^\[|\]$/g, '')) ? {} : { servername: endpoint.host }),
      ALPNProtocols: ['h2', 'http/1.1'],
      ...(ca ? { ca } : {}),
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`TLS handshake did not finish within ${timeoutMs / 1000} s`)));
    socket.once('connect', () => {
      connectedAt = performance.now();
    });
    socket.once('secureConnect', () => {
      const handshakeMs = performance.now() - connectedAt;
      const alpn = socket.alpnProtocol || null;
      socket.destroy();
      resolve({ connectMs: connectedAt - startedAt, handshakeMs, alpn });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(err.code)) {
        reject(
          new AutotuneError('E_NETWORK', `TLS handshake with ${endpoint.host}:${endpoint.port} failed: ${err.message}`, {
            hint: 'pass the server certificate or its CA with --ca FILE',
            exitCode: EXIT_DOWNLOAD,
            cause: err,
          }),
        );
      } else reject(unreachable(endpoint, err));
    });
  });
}

function unreachable(endpoint: Endpoint, err: NodeJS.ErrnoException): AutotuneError {
  return new AutotuneError('E_NETWORK', `cannot connect to ${endpoint.host}:${endpoint.port}: ${err.code ?? err.message}`, {
    hint: 'check the URL, that the server is up and that nothing blocks the port',
    exitCode: EXIT_DOWNLOAD,
    cause: err,
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
