import type { CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { applyTuned } from '../../apply/apply.js';
import { rollbackLast } from '../../apply/rollback.js';
import { readRecords } from '../../apply/manifest.js';
import { checkMinerDir } from '../../apply/miner-dir.js';

interface ApplyArgs {
  'miner-dir': string;
  env: string;
  pm2?: string;
  sysctl?: string;
  'sysctl-dir': string;
  yes: boolean;
  rollback: boolean;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

export const applyCommand: CommandModule<object, ApplyArgs> = {
  command: 'apply',
  describe: 'merge tuned values into a miner .env (backup first), restart it under pm2, install sysctl tweaks; or roll back',
  builder: (y) =>
    y
      .option('miner-dir', { type: 'string', demandOption: true, describe: "the miner's folder (holds .env)" })
      .option('env', { type: 'string', default: 'results/best.env', describe: 'tuned env file from autotune emit' })
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
    await applyTuned({
      minerDir,
      envFile: resolve(argv.env),
      pm2,
      sysctlFile: argv.sysctl ? resolve(argv.sysctl) : null,
      sysctlDir: resolve(argv['sysctl-dir']),
      yes: argv.yes,
      log,
    });
  },
};
