import type { Argv, CommandModule } from 'yargs';
import { describeLabServer, PROFILE_NAMES, startLabServer } from '../../lab/server/index.js';

interface ServeArgs {
  dir: string;
  port: number;
  'http-port': number;
  profile: string;
  'rate-mbps'?: number;
  'rtt-ms'?: number;
  fault?: string;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, onSignal);
      resolve(signal);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

const serve: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve a folder like a CDN on 127.0.0.1: HTTPS with HTTP/2 and plain HTTP/1.1, Range, link emulation, faults',
  builder: (y: Argv) =>
    y
      .option('dir', { type: 'string', default: 'samples', describe: 'folder to serve' })
      .option('port', { type: 'number', default: 8443, describe: 'HTTPS port (HTTP/2, HTTP/1.1 fallback); 0 = any free port' })
      .option('http-port', { type: 'number', default: 8080, describe: 'plain HTTP/1.1 port; 0 = any free port' })
      .option('profile', { type: 'string', default: 'lan', describe: `link profile: ${PROFILE_NAMES.join(', ')}` })
      .option('rate-mbps', { type: 'number', describe: "bandwidth per connection in Mbit/s (overrides the profile's)" })
      .option('rtt-ms', { type: 'number', describe: "round-trip time in ms (overrides the profile's)" })
      .option('fault', {
        type: 'string',
        describe: 'inject a fault: no-range, stall-after=BYTES, reset-after=BYTES, status=NNN',
      }) as Argv<ServeArgs>,
  handler: async (args) => {
    const server = await startLabServer({
      dir: args.dir,
      port: args.port,
      httpPort: args['http-port'],
      profile: args.profile,
      ...(args['rate-mbps'] === undefined ? {} : { rateMbps: args['rate-mbps'] }),
      ...(args['rtt-ms'] === undefined ? {} : { rttMs: args['rtt-ms'] }),
      fault: args.fault ?? null,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${server.httpsUrl}\n${server.httpUrl}\nca: ${server.caPath}\n`);
    process.stderr.write(`serving ${server.dir}; ${describeLabServer(server)}; Ctrl-C stops\n`);
    await untilSignal();
    await server.close();
  },
};

export const labCommand: CommandModule = {
  command: 'lab <command>',
  describe: 'The local network lab: a CDN stand-in for sample clips',
  builder: (y: Argv) => y.command(serve as unknown as CommandModule).demandCommand(1, 'name a lab command (serve)'),
  handler: () => undefined,
};
