import type { Argv, CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { checkModel, modelOption, readCa } from '../options.js';
import { describeLabServer, PROFILE_NAMES, startLabServer } from '../../lab/server/index.js';
import { DEVICES, type Device } from '../../pipeline/infer/index.js';

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

interface MinerArgs {
  port: number;
  host: string;
  model: string;
  device: string;
  ca?: string;
}

const miner: CommandModule<object, MinerArgs> = {
  command: 'miner',
  describe: "The project's pipeline behind the sn44 challenge endpoint (POST /soccer/challenge), its knobs read from the environment at start: a stand-in miner, e.g. under pm2",
  builder: (y: Argv) =>
    y
      .option('port', { type: 'number', default: 7999, describe: 'port to listen on; 0 = any free port' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
      .option('model', modelOption)
      .option('device', { type: 'string', choices: DEVICES as string[], default: 'auto', describe: 'inference device' })
      .option('ca', { type: 'string', describe: "PEM file of a CA to trust for the videos (the lab server's certificate)" }) as Argv<MinerArgs>,
  handler: async (args) => {
    // The same checks as run's, before onnxruntime loads: a missing model is a bad command line (exit 2).
    const ca = readCa(args.ca)?.pem;
    const modelPath = checkModel(args.model);
    // Loaded on demand: the other lab commands start without onnxruntime.
    const { startLabMiner } = await import('../../miner/lab-miner/server.js');
    const started = await startLabMiner({ port: args.port, host: args.host, modelPath, device: args.device as Device, ca });
    process.stdout.write(`${started.url}\n`);
    process.stderr.write(`lab miner on ${started.url} with ${Object.entries(started.config).map(([k, v]) => `${k}=${v}`).join(' ')}; Ctrl-C stops\n`);
    await untilSignal();
    await started.close();
  },
};

export const labCommand: CommandBody = {
  builder: (y: Argv) =>
    y
      .command(serve as unknown as CommandModule)
      .command(miner as unknown as CommandModule)
      .demandCommand(1, 'name a lab command (serve, miner)'),
  handler: () => undefined,
};
