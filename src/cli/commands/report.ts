// autotune report: the study as one self-contained HTML file (also written by `autotune emit`).

import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { writeReport } from '../../emit/report.js';
import { openStorage } from '../../store/index.js';
import { analyseHosts, type HostAnalysis } from '../../study/hosts.js';
import { loadRanking, requireTrials, selectStudy, type LoadedStudy } from '../../study/select.js';
import { makeDirs } from '../../util/fs.js';
import { storageLocation, storageOptions, studyOption, type StorageArgs } from '../options.js';

interface ReportArgs extends StorageArgs {
  study?: string;
  out: string;
  host?: string;
}

export const reportCommand: CommandBody<ReportArgs> = {
  builder: (y) =>
    y
      .option('study', studyOption)
      .options(storageOptions)
      .option('out', { type: 'string', default: 'results/report.html', describe: 'the HTML file to write' })
      .option('host', { type: 'string', describe: "only this host's trials (a study of several hosts gets a section per host without it)" }),
  handler: async (args) => {
    const storage = await openStorage(storageLocation(args), { mustExist: true });
    let loaded: LoadedStudy;
    let perHost: HostAnalysis[] = [];
    try {
      const study = await selectStudy(storage, args.study);
      loaded = await loadRanking(storage, study, args.host);
      requireTrials(loaded);
      if (loaded.analysis.acrossHosts) perHost = analyseHosts(study, loaded.trials, loaded.measurements);
    } finally {
      await storage.close();
    }
    makeDirs(dirname(args.out), 'the folder of --out');
    const hosts = perHost.map((h) => ({ host: h.host, ranking: h.analysis.ranking, analysis: h.analysis }));
    process.stdout.write(`wrote ${await writeReport({ ...loaded, date: new Date(), perHost: hosts }, args.out)}\n`);
  },
};
