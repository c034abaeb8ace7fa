import type { CommandBody } from '../command-body.js';
import { AutotuneError } from '../../errors.js';
import { DEFAULT_CONF, DEFAULT_IOU, DEVICES, describeLayout, LAYOUT_KINDS, parseClassMap, type Device, type LayoutKind } from '../../pipeline/infer/index.js';
import { requireDecoder } from '../../pipeline/decode/check.js';
import { inferClip } from '../../pipeline/infer/clip.js';
import { percent } from '../../util/format.js';
import { checkModel, modelOption } from '../options.js';
import { printJson } from '../output.js';

interface InferArgs {
  clip: string;
  model: string;
  'img-size': number;
  conf: number;
  iou: number;
  batch: number;
  device: string;
  truth?: string;
  'class-map'?: string;
  'model-layout'?: string;
  json: boolean;
}

export const inferCommand: CommandBody<InferArgs> = {
  builder: (y) =>
    y
      .positional('clip', { type: 'string', demandOption: true, describe: 'a local .mp4' })
      .option('model', modelOption)
      .option('img-size', { type: 'number', default: 640, describe: 'model input size S (multiple of 32)' })
      .option('conf', { type: 'number', default: DEFAULT_CONF, describe: 'confidence threshold' })
      .option('iou', { type: 'number', default: DEFAULT_IOU, describe: 'NMS IoU threshold' })
      .option('batch', { type: 'number', default: 16, describe: 'frames per inference batch' })
      .option('device', { type: 'string', choices: DEVICES as string[], default: 'auto', describe: 'execution provider' })
      .option('truth', { type: 'string', describe: 'ground-truth file (<clip>.truth.json) to score against' })
      .option('class-map', { type: 'string', describe: 'model class id -> SN44 class, e.g. 0=player,1=goalkeeper,2=referee,32=ball (unlisted classes are dropped)' })
      .option('model-layout', { type: 'string', choices: LAYOUT_KINDS as unknown as string[], describe: 'how to read the model outputs when their shapes do not tell (see README: Your model)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }),
  handler: async (argv) => {
    if (!(argv.batch >= 1 && Number.isInteger(argv.batch))) {
      throw new AutotuneError('E_USAGE', `--batch ${argv.batch} is not a positive integer`);
    }
    if (!(argv.conf >= 0 && argv.conf <= 1)) throw new AutotuneError('E_USAGE', `--conf ${argv.conf} is not between 0 and 1`);
    // A decoder that cannot run would fail as if the clip were broken.
    const modelPath = checkModel(argv.model);
    await requireDecoder();
    const r = await inferClip({
      clipPath: argv.clip,
      modelPath,
      imgSize: argv['img-size'],
      conf: argv.conf,
      iou: argv.iou,
      batch: argv.batch,
      device: argv.device as Device,
      truthPath: argv.truth,
      classMap: argv['class-map'] === undefined ? undefined : parseClassMap(argv['class-map']),
      layout: argv['model-layout'] as LayoutKind | undefined,
    });
    // The human summary names the fallback on its provider line; JSON output keeps stdout clean, so say it here.
    if (r.providerNote && argv.json) process.stderr.write(`autotune: ${r.providerNote}\n`);
    const acc = r.accuracy;
    if (argv.json) {
      const { answer: _answer, accuracy: _accuracy, ...rest } = r;
      return printJson({
        ...rest,
        ...(acc ? { f1: acc.f1, precision: acc.precision, recall: acc.recall, tp: acc.tp, fp: acc.fp, fn: acc.fn } : {}),
      });
    }
    const lines = [
      `${r.frames} frames of ${r.clip} at ${r.imgSize}x${r.imgSize}, batch ${r.batch}: ${r.framesPerSecond.toFixed(1)} frames/s end to end (model alone ${r.inferenceFramesPerSecond.toFixed(1)} frames/s)`,
      `provider ${r.provider}${r.providerNote ? ` (${r.providerNote})` : ''}; decoder ${r.decoder ?? '-'}; layout ${r.layout ? describeLayout(r.layout) : '-'}; ${r.boxesPerFrame.toFixed(1)} boxes/frame`,
      `preprocessing ${r.preprocessMsPerFrame.toFixed(2)} ms/frame, decoding and NMS ${r.postprocessMsPerFrame.toFixed(2)} ms/frame`,
    ];
    if (acc) {
      lines.push(`F1 ${acc.f1.toFixed(3)}  precision ${percent(acc.precision)}  recall ${percent(acc.recall)}  (TP ${acc.tp}, FP ${acc.fp}, FN ${acc.fn}; IoU >= 0.5)`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
