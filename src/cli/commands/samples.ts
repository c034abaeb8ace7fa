import type { Argv, CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { makeClips } from '../../lab/clips/index.js';

interface MakeArgs {
  count: number;
  frames: number;
  size: string;
  fps: number;
  seed: number;
  out: string;
  'moov-end': boolean;
}

const make: CommandModule<object, MakeArgs> = {
  command: 'make',
  describe: 'Make synthetic SN44-like match clips with exact ground truth (<name>.truth.json)',
  builder: (y: Argv) =>
    y
      .option('count', { type: 'number', default: 1, describe: 'number of clips (seeds seed, seed+1, ...)' })
      .option('frames', { type: 'number', default: 750, describe: 'frames per clip' })
      .option('size', { type: 'string', default: '1280x720', describe: 'frame size WIDTHxHEIGHT' })
      .option('fps', { type: 'number', default: 25, describe: 'frames per second' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the first clip' })
      .option('out', { type: 'string', default: 'samples', describe: 'output folder' })
      .option('moov-end', { type: 'boolean', default: false, describe: 'also write <name>.moov-end.mp4 (moov after mdat)' }) as Argv<MakeArgs>,
  handler: async (args) => {
    const clips = await makeClips({
      count: last(args.count),
      frames: last(args.frames),
      size: last(args.size),
      fps: last(args.fps),
      seed: last(args.seed),
      outDir: last(args.out),
      moovEnd: last(args['moov-end']),
    });
    for (const c of clips) {
      const extra = c.moovEndPath ? `  (+ ${c.moovEndPath})` : '';
      process.stdout.write(`${c.path}  ${c.frames} frames  ${c.width}x${c.height}  ${(c.bytes / 1e6).toFixed(1)} MB${extra}\n`);
    }
  },
};

// A flag given twice arrives as an array; the last one wins, as in most command-line tools.
function last<T>(value: T | T[]): T {
  return Array.isArray(value) ? (value[value.length - 1] as T) : value;
}

export const samplesCommand: CommandBody = {
  builder: (y: Argv) => y.command(make as unknown as CommandModule).demandCommand(1, 'name a samples command (make)'),
  handler: () => undefined,
};
