// autotune emit: writes the winner of a study as files (best.env, summary.json, sysctl.conf, report.html).

import type { CommandBody } from '../command-body.js';
import { emitStudy } from '../../emit/emit-study.js';
import { storageLocation, storageOptions, studyOption, type StorageArgs } from '../options.js';

interface EmitArgs extends StorageArgs {
  study?: string;
  out: string;
  host?: string;
}

export const emitCommand: CommandBody<EmitArgs> = {
  builder: (y) =>
    y
      .option('study', studyOption)
      .options(storageOptions)
      .option('out', { type: 'string', default: 'results', describe: 'output folder' })
      .option('host', { type: 'string', describe: "write this host's winner, from its trials only (needed when several hosts measured the study)" }),
  handler: async (args) => {
    const { winner: w, paths } = await emitStudy({ db: storageLocation(args), study: args.study, outDir: args.out, host: args.host });
    for (const path of paths) process.stdout.write(`wrote ${path}\n`);
    process.stdout.write(
      `winner: trial ${w.number}${args.host !== undefined ? ` on host ${w.host}` : ''}${w.baseline ? ` (baseline ${w.baseline})` : ''}, median ${w.median?.toFixed(3) ?? '-'} s, accuracy ${w.accuracy?.toFixed(3) ?? '-'}\n`,
    );
  },
};
