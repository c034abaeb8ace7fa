import type { Argv, CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { AutotuneError } from '../../errors.js';
import { EXIT_DOWNLOAD } from '../../pipeline/failure.js';
import { formatProbe } from '../../net/format.js';
import { probeNetwork } from '../../net/probe.js';
import { caOption, readCa } from '../options.js';
import { givenValue, printJson } from '../output.js';

interface ProbeArgs {
  url: string;
  ca?: string;
  json: boolean;
  samples: number;
  'throughput-mb': number;
  frames: number;
  'time-limit': number;
}

const probeCommand: CommandModule<object, ProbeArgs> = {
  command: 'probe <url>',
  describe: "measure the link to a video URL, the video's container and this host's TCP settings",
  builder: (y) =>
    y
      .positional('url', { type: 'string', demandOption: true, describe: 'http(s) URL of a video' })
      .option('ca', caOption)
      .option('json', { type: 'boolean', default: false, describe: 'print the probe as JSON' })
      .option('samples', { type: 'number', default: 5, describe: 'samples of the TCP handshake and request round trip' })
      .option('throughput-mb', { type: 'number', default: 4, describe: 'MiB downloaded to measure throughput' })
      .option('frames', { type: 'number', default: 750, describe: 'also report the bytes needed for the first N frames' })
      .option('time-limit', { type: 'number', default: 10, describe: 'longest time (s) for the throughput download; the rate is measured over what arrived' }),
  handler: async (argv) => {
    const ca = readCa(argv.ca)?.pem;
    for (const [flag, value] of [['samples', argv.samples], ['throughput-mb', argv['throughput-mb']], ['frames', argv.frames], ['time-limit', argv['time-limit']]] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw new AutotuneError('E_USAGE', `--${flag} must be a positive number, got ${givenValue(value)}`);
    }
    const probe = await probeNetwork(argv.url, {
      ...(ca ? { ca } : {}),
      samples: argv.samples,
      throughputBytes: Math.round(argv['throughput-mb'] * 1024 * 1024),
      frames: argv.frames,
      timeLimitS: argv['time-limit'],
    });
    if (argv.json) printJson(probe);
    else process.stdout.write(`${formatProbe(probe)}\n`);
    // A server that stalls or drops the connection is a failure, though the figures up to then are shown.
    const stopped = probe.throughput.stopped;
    if (stopped && stopped.reason !== 'time-limit') {
      throw new AutotuneError(stopped.reason === 'stall' ? 'E_STALL' : 'E_RESET', `GET ${probe.finalUrl ?? argv.url}: ${stopped.message}; the throughput above is over those bytes only`, {
        hint: 'the server or the link is unreliable; try again or another server',
        exitCode: EXIT_DOWNLOAD,
      });
    }
  },
};

export const netCommand: CommandBody = {
  builder: (y: Argv) => y.command(probeCommand).demandCommand(1, 'name a net command (probe)'),
  handler: () => {},
};
