// autotune report: the study as one self-contained HTML file (also written by `autotune emit`).

import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import { writeReport } from '../../emit/report.js';
import { openStorage } from '../../store/index.js';
import { loadRanking, requireTrials, selectStudy, type LoadedStudy } from '../../study/select.js';
import { makeDirs } from '../../util/fs.js';
import { storageLocation, storageOptions, studyOption, type StorageArgs } from '../options.js';

interface ReportArgs extends StorageArgs {
  study?: string;
  out: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: 'Write the study as one HTML file: ranking, time vs accuracy, stages, knob effects, SN44 vs t_min',
  builder: (y) =>
    y
      .option('study', studyOption)
      .options(storageOptions)
      .option('out', { type: 'string', default: 'results/report.html', describe: 'the HTML file to write' }),
  handler: async (args) => {
    const storage = await openStorage(storageLocation(args), { mustExist: true });
    let loaded: LoadedStudy;
    try {
      loaded = await loadRanking(storage, await selectStudy(storage, args.study));
      requireTrials(loaded);
    } finally {
      await storage.close();
    }
    makeDirs(dirname(args.out), 'the folder of --out');
    process.stdout.write(`wrote ${await writeReport({ ...loaded, date: new Date() }, args.out)}\n`);
  },
};
