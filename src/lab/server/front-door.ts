import net from 'node:net';
import { AutotuneError } from '../../errors.js';

/**
 * The listening socket of one port. Each accepted connection is held, unread, for one round-trip
 * time before it is handed to the HTTP server, so the client's handshake sees the link's RTT.
 */
export interface FrontDoor {
  port: number;
  /** Stops listening and destroys every connection it accepted. */
  close(): Promise<void>;
}

export interface FrontDoorOptions {
  host: string;
  port: number;
  /** The flag that set the port, for the error message. */
  flag: string;
  rttMs: number;
  handOff(socket: net.Socket): void;
}

export async function openFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // the HTTP layer reports what matters; a reset here is normal
    if (options.rttMs <= 0) return options.handOff(socket);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!socket.destroyed) options.handOff(socket);
    }, options.rttMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new AutotuneError('E_PORT_IN_USE', `port ${options.port} on ${options.host} is already in use`, {
            hint: `pick another with ${options.flag} N, or ${options.flag} 0 for a free one`,
            context: { port: options.port, host: options.host },
          }),
        );
      } else {
        reject(new AutotuneError('E_INPUT', `cannot listen on ${options.host}:${options.port}: ${err.message}`, {
          hint: `check ${options.flag} and the host`,
          cause: err,
        }));
      }
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
