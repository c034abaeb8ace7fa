import type { CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { buildLabDetector, DEFAULT_MODEL_PATH, makeLabDetector } from '../../lab/model/index.js';
import { bytes, formatTable } from '../../util/format.js';
import { printJson } from '../output.js';

interface MakeArgs {
  out: string;
  heavy: number;
  json: boolean;
}

const gflops = (macs: number) => `${((2 * macs) / 1e9).toFixed(2)} GFLOPs`;

const make: CommandModule<object, MakeArgs> = {
  command: 'make',
  describe: 'write the lab detector (an ONNX model with designed weights for the lab clips)',
  builder: (y) =>
    y
      .option('out', { type: 'string', default: DEFAULT_MODEL_PATH, describe: 'output .onnx path' })
      .option('heavy', { type: 'number', default: 0, describe: 'extra compute blocks that keep the output (stand-in for a bigger YOLO)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }),
  handler: async (argv) => {
    const made = await makeLabDetector({ out: argv.out, heavy: argv.heavy });
    if (argv.json) return printJson({ ...made, gflopsAt640: (2 * made.macsAt640) / 1e9 });
    process.stdout.write(`wrote ${made.path} (${bytes(made.bytes)}), heavy ${made.heavy}\n`);
    process.stdout.write(`input images [N,3,S,S] float32 RGB 0..1; output output0 [N,8,A] (YOLOv8 layout), A = ${made.anchorsAt640} at S=640\n`);
    process.stdout.write(`compute at 640: ${gflops(made.macsAt640)} (${(made.macsAt640 / 1e6).toFixed(0)} M multiply-accumulates in convolutions)\n\n`);
    const variants = [0, 1, 4, 8, 16].map((heavy) => ({ heavy, macs: buildLabDetector({ heavy }).macsAt(640) }));
    process.stdout.write(
      `${formatTable(variants, [
        { header: '--heavy', value: (v) => String(v.heavy), align: 'right' },
        { header: 'compute at 640', value: (v) => gflops(v.macs), align: 'right' },
      ])}\n(for scale: YOLOv8n 8.7, YOLOv8s 28.6, YOLOv8m 78.9 GFLOPs at 640)\n`,
    );
  },
};

export const modelCommand: CommandBody = {
  builder: (y) => y.command(make).demandCommand(1, 'name a subcommand: make'),
  handler: () => undefined,
};
