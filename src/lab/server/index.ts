import http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { createLabCertificate } from './certificate.js';
import { describeFault, type Fault } from './fault.js';
import { openFrontDoor, type FrontDoor } from './front-door.js';
import { handleRequest, type HandlerContext } from './handler.js';
import { Link } from './link.js';
import { normalizeLabServerOptions, type LabServerOptions, type RequestRecord } from './options.js';
import type { LinkProfile } from './profiles.js';
import type { LabRequest } from './types.js';

export { parseFault, describeFault, FAULT_SPECS, type Fault } from './fault.js';
export { PROFILE_NAMES, resolveLinkProfile, type LinkProfile, type ProfileName } from './profiles.js';
export type { LabServerOptions, RequestRecord } from './options.js';

export interface LabServer {
  /** `https://127.0.0.1:P/`: HTTP/2 over TLS, HTTP/1.1 fallback by ALPN. */
  httpsUrl: string;
  /** `http://127.0.0.1:P/`: plain HTTP/1.1. */
  httpUrl: string;
  /** PEM file of the self-signed certificate; trust it as a CA. */
  caPath: string;
  ca: string;
  dir: string;
  profile: LinkProfile;
  fault: Fault | null;
  /** Ends everything at once: listeners, open connections (stalled ones too), temp files. */
  close(): Promise<void>;
}

export function formatRequestLine(r: RequestRecord): string {
  return `${r.method} ${r.path} ${r.range ?? '-'} ${r.status} ${r.protocol} ${r.bytes}B ${r.ms}ms`;
}

/** Starts the lab CDN stand-in: static files from `dir` over HTTPS (h2) and plain HTTP/1.1. */
export async function startLabServer(options: LabServerOptions): Promise<LabServer> {
  const opts = normalizeLabServerOptions(options);
  const certificate = await createLabCertificate(opts.certDir);
  const links = new WeakMap<object, Link>();
  const live = new Set<{ destroy(): void }>();
  const track = (item: { destroy(): void; once(event: 'close', fn: () => void): unknown }) => {
    live.add(item);
    item.once('close', () => live.delete(item));
  };

  const ctx: HandlerContext = {
    root: opts.dir,
    fault: opts.fault,
    // One link per connection: an HTTP/2 session's streams share it.
    linkFor(req: LabRequest) {
      const key: object = req.httpVersionMajor === 2 ? (req as http2.Http2ServerRequest).stream.session! : req.socket;
      let link = links.get(key);
      if (link === undefined) links.set(key, (link = new Link(opts.link)));
      return link;
    },
    record(entry) {
      opts.onRequest(entry);
      opts.log(formatRequestLine(entry));
    },
  };
  const onRequest = (req: LabRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    void handleRequest(req, res, ctx);
  };

  const secure = http2.createSecureServer({ key: certificate.key, cert: certificate.cert, allowHTTP1: true }, onRequest);
  secure.on('secureConnection', (socket) => track(socket));
  secure.on('session', (session) => {
    session.on('error', () => {});
    track(session);
  });
  secure.on('tlsClientError', () => {});
  const plain = http.createServer(onRequest);
  plain.on('connection', (socket: Socket) => track(socket));
  plain.on('clientError', (_err, socket) => socket.destroy());

  const doors: FrontDoor[] = [];
  const closeAll = async () => {
    for (const item of live) item.destroy();
    live.clear();
    await Promise.all(doors.map((door) => door.close()));
    await certificate.dispose();
  };
  try {
    doors.push(
      await openFrontDoor({
        host: opts.host,
        port: opts.port,
        flag: '--port',
        rttMs: opts.link.rttMs,
        handOff: (socket) => secure.emit('connection', socket),
      }),
    );
    doors.push(
      await openFrontDoor({
        host: opts.host,
        port: opts.httpPort,
        flag: '--http-port',
        rttMs: opts.link.rttMs,
        handOff: (socket) => {
          plain.emit('connection', socket);
          socket.resume();
        },
      }),
    );
  } catch (err) {
    await closeAll();
    throw err;
  }
  const [tlsDoor, plainDoor] = doors as [FrontDoor, FrontDoor];
  let closing: Promise<void> | undefined;
  return {
    httpsUrl: `https://${opts.host}:${tlsDoor.port}/`,
    httpUrl: `http://${opts.host}:${plainDoor.port}/`,
    caPath: certificate.caPath,
    ca: certificate.cert,
    dir: opts.dir,
    profile: opts.link,
    fault: opts.fault,
    close: () => (closing ??= closeAll()),
  };
}

export function describeLabServer(server: LabServer): string {
  const p = server.profile;
  const rate = p.rateMbps === null ? 'unlimited' : `${p.rateMbps} Mbit/s`;
  return `profile ${p.name}: ${rate}, rtt ${p.rttMs} ms; fault ${describeFault(server.fault)}`;
}
