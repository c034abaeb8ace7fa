// autotune export: a study's challenges as a replay table (docs/replay-table.md), for
// `autotune run --evaluator replay --table FILE` and `npm run bench:search -- --table FILE`.

import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { AutotuneError } from '../../errors.js';
import { exportTable } from '../../replay/export.js';
import { openStorage } from '../../store/index.js';
import { selectStudy } from '../../study/select.js';
import { makeDirs } from '../../util/fs.js';
import { storageLocation, storageOptions, studyOption, type StorageArgs } from '../options.js';

interface ExportArgs extends StorageArgs {
  study?: string;
  table: string;
  host?: string;
}

export const exportCommand: CommandBody<ExportArgs> = {
  builder: (y) =>
    y
      .option('study', studyOption)
      .options(storageOptions)
      .option('table', { type: 'string', demandOption: true, describe: 'the CSV file to write (see docs/replay-table.md)' })
      .option('host', { type: 'string', describe: "only the challenges of trials measured on this host (a study of several hosts mixes their speeds without it)" }),
  handler: async (args) => {
    const storage = await openStorage(storageLocation(args), { mustExist: true });
    let exported;
    let name: string;
    try {
      const study = await selectStudy(storage, args.study);
      name = study.name;
      exported = await exportTable(storage, study, { host: args.host });
    } finally {
      await storage.close();
    }
    if (exported.rows === 0) {
      throw new AutotuneError('E_STUDY', `study "${name}" has no measured challenge to export`, { hint: `run autotune run --study ${name} ... first` });
    }
    makeDirs(dirname(args.table), 'the folder of --table');
    // Written beside the file and renamed over it: a reader never sees half a table.
    const partial = `${args.table}.partial`;
    try {
      await writeFile(partial, exported.text);
      await rename(partial, args.table);
    } catch (err) {
      throw new AutotuneError('E_INPUT', `cannot write --table ${args.table} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
        hint: 'choose a file you can write to',
      });
    }
    if (args.host === undefined && exported.hosts.length > 1) {
      const each = exported.hosts.map((h) => `${h.host}: ${h.challenges}`).join(', ');
      process.stderr.write(
        `warning: study "${name}" was measured on ${exported.hosts.length} hosts (${each} challenges): the table mixes their speeds; export one host's with --host NAME\n`,
      );
    }
    const phases = Object.entries(exported.phases).map(([phase, n]) => `${n} ${phase}`).join(', ');
    process.stdout.write(`wrote ${args.table}: ${exported.rows} challenges of study "${name}"${args.host !== undefined ? ` measured on host ${args.host}` : ''} (${phases}), ${exported.knobs.length} knob columns\n`);
  },
};
