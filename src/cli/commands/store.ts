// autotune store copy: moves studies between stores (a SQLite file, a PostgreSQL database), any direction.

import type { CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { AutotuneError } from '../../errors.js';
import { copyStore, openStorage, parseLocation } from '../../store/index.js';
import { formatTable } from '../../util/format.js';
import { printJson } from '../output.js';

interface CopyArgs {
  from: string;
  to: string;
  study?: string[];
  json: boolean;
}

const copy: CommandModule<object, CopyArgs> = {
  command: 'copy',
  describe: 'copy studies (trials, measurements, videos, reference answers) from one store to another; an existing study is never overwritten',
  builder: (y) =>
    y
      .option('from', { type: 'string', demandOption: true, describe: 'the store to read: a SQLite file or postgres://user@host:port/database' })
      .option('to', { type: 'string', demandOption: true, describe: 'the store to write (created or migrated when needed)' })
      .option('study', { type: 'string', array: true, describe: 'copy only this study (repeatable; default: every study)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }),
  handler: async (args) => {
    const from = parseLocation(args.from, '--from');
    const to = parseLocation(args.to, '--to');
    if (JSON.stringify(from) === JSON.stringify(to)) {
      throw new AutotuneError('E_USAGE', '--from and --to name the same store', { hint: 'copy into another file or database' });
    }
    const source = await openStorage(args.from, { mustExist: true });
    try {
      const target = await openStorage(args.to);
      try {
        const report = await copyStore(source, target, args.study);
        if (args.json) return printJson({ from: source.path, to: target.path, ...report });
        process.stdout.write(
          `${formatTable(report.studies, [
            { header: 'study', value: (s) => s.name },
            { header: 'trials', value: (s) => String(s.trials), align: 'right' },
            { header: 'measurements', value: (s) => String(s.measurements), align: 'right' },
          ])}\n`,
        );
        process.stdout.write(
          `copied ${report.studies.length} ${report.studies.length === 1 ? 'study' : 'studies'}, ${report.videos} video(s) and ${report.references} reference answer(s) from ${source.path} to ${target.path}\n`,
        );
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  },
};

export const storeCommand: CommandBody = {
  builder: (y) => y.command(copy).demandCommand(1, 'name a subcommand: copy'),
  handler: () => undefined,
};
