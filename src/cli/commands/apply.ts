import type { CommandBody } from '../command-body.js';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyTuned } from '../../apply/apply.js';
import { rollbackLast } from '../../apply/rollback.js';
import { readRecords } from '../../apply/manifest.js';
import { checkMinerDir } from '../../apply/miner-dir.js';
import { AutotuneError } from '../../errors.js';
import { loadSpace } from '../../search/index.js';
import { ENV_NAME, isLoaderVariable } from '../../util/env-names.js';

interface ApplyArgs {
  'miner-dir': string;
  env: string;
  space?: string;
  'allow-key'?: string[];
  pm2?: string;
  sysctl?: string;
  'sysctl-dir': string;
  yes: boolean;
  rollback: boolean;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** This package's full space: the default when --space is not given, wherever apply runs from. */
const DEFAULT_SPACE = fileURLToPath(new URL('../../../search-spaces/sn44.yaml', import.meta.url));

export const applyCommand: CommandBody<ApplyArgs> = {
  builder: (y) =>
    y
      .option('miner-dir', { type: 'string', demandOption: true, describe: "the miner's folder (holds .env)" })
      .option('env', { type: 'string', default: 'results/best.env', describe: 'tuned env file from autotune emit' })
      .option('space', { type: 'string', describe: 'search space whose knobs (and ranges) apply may write (default: search-spaces/sn44.yaml)' })
      .option('allow-key', { type: 'string', array: true, describe: 'also write this key from --env though it is not a knob of the space (repeatable)' })
      .option('pm2', { type: 'string', describe: 'pm2 process to restart with --update-env and check' })
      .option('sysctl', { type: 'string', describe: 'sysctl.conf from autotune emit to install' })
      .option('sysctl-dir', { type: 'string', default: '/etc/sysctl.d', describe: 'where the sysctl file is installed' })
      .option('yes', { type: 'boolean', default: false, describe: 'make the changes (without it: dry run)' })
      .option('rollback', { type: 'boolean', default: false, describe: 'undo the last apply in --miner-dir (first: restore a miner an interrupted study left changed)' }),
  handler: async (argv) => {
    const minerDir = resolve(argv['miner-dir']);
    const pm2 = argv.pm2 ?? null;
    if (argv.rollback) {
      // A study that crashed while it drove the miner is undone first, and on its own.
      checkMinerDir(minerDir);
      const { recoverMiner } = await import('../../miner/recovery.js');
      if (await recoverMiner(minerDir, { readyTimeoutS: 120, log })) {
        if (readRecords(minerDir).length > 0) log('the last apply is kept: run autotune apply --rollback again to undo it too');
        return;
      }
      await rollbackLast({ minerDir, pm2, log });
      return;
    }
    const allowKeys = (argv['allow-key'] ?? []).flatMap((k) => k.split(',')).map((k) => k.trim());
    for (const key of allowKeys) {
      if (!ENV_NAME.test(key)) throw new AutotuneError('E_USAGE', `--allow-key ${JSON.stringify(key)} is not a variable name`, { hint: 'names match [A-Z_][A-Z0-9_]*' });
      if (isLoaderVariable(key)) {
        throw new AutotuneError('E_USAGE', `--allow-key ${key}: ${key} changes how programs load (like PATH, LD_*, NODE_OPTIONS, PYTHONPATH); apply never writes it`, {
          hint: 'set it in the miner\'s start-up yourself if you really mean it',
        });
      }
    }
    await applyTuned({
      minerDir,
      envFile: resolve(argv.env),
      knobs: { space: loadSpace(argv.space ?? DEFAULT_SPACE), allowKeys },
      pm2,
      sysctlFile: argv.sysctl ? resolve(argv.sysctl) : null,
      sysctlDir: resolve(argv['sysctl-dir']),
      yes: argv.yes,
      log,
    });
  },
};
