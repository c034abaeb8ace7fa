// autotune trials: the study's trials ranked (feasible first), with intervals and speed-ups.

import type { CommandModule } from 'yargs';
import { AutotuneError } from '../../errors.js';
import { rankedTrialJson } from '../../emit/summary.js';
import { openStorage } from '../../store/index.js';
import { baselineRows, type RankedTrial } from '../../study/ranking.js';
import { loadRanking, requireTrials, selectStudy } from '../../study/select.js';
import { RANK_TEST_ALPHA } from '../../study/stats.js';
import { formatTable, percent, seconds } from '../../util/format.js';
import { printJson } from '../output.js';
import { storageLocation, storageOptions, studyOption, type StorageArgs } from '../options.js';

interface TrialsArgs extends StorageArgs {
  study?: string;
  top?: number;
  json: boolean;
}

export function formatParams(params: Record<string, unknown>, keys: readonly string[] = Object.keys(params)): string {
  return keys
    .filter((k) => k in params)
    .map((k) => `${k}=${params[k]}`)
    .join(' ');
}

/** Knobs whose value differs between trials; the others (fixed by the space) would repeat on every row. */
function varyingKeys(trials: readonly RankedTrial[]): string[] {
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
  const varying = keys.filter((k) => new Set(trials.map((t) => JSON.stringify(t.params[k] ?? null))).size > 1);
  return varying.length > 0 ? varying : keys;
}

export function formatRanking(ranking: readonly RankedTrial[], all: readonly RankedTrial[]): string {
  const bases = baselineRows(all).map((b) => b.baseline!);
  const keys = varyingKeys(all);
  const f3 = (v: number | null) => (v === null ? '-' : v.toFixed(3));
  return formatTable(ranking, [
    { header: 'rank', value: (r) => `${r.rank}${r.tiedWithBest && r.rank > 1 ? '=' : ''}`, align: 'right' },
    { header: 'trial', value: (r) => String(r.number), align: 'right' },
    { header: 'state', value: (r) => (r.feasible ? 'ok' : r.state === 'COMPLETE' ? 'infeasible' : r.state.toLowerCase()) },
    { header: 'baseline', value: (r) => r.baseline ?? '' },
    { header: 'median', value: (r) => seconds(r.median), align: 'right' },
    { header: '95% CI', value: (r) => (r.interval ? `${r.interval.low.toFixed(3)}-${r.interval.high.toFixed(3)}` : '-'), align: 'right' },
    { header: 'p90', value: (r) => seconds(r.p90), align: 'right' },
    { header: 'accuracy', value: (r) => f3(r.accuracy), align: 'right' },
    { header: 'coverage', value: (r) => percent(r.coverage), align: 'right' },
    { header: 'sn44', value: (r) => f3(r.sn44), align: 'right' },
    { header: 'n', value: (r) => `${r.challenges - r.failed}/${r.challenges}${r.phase === 'confirm' ? 'c' : ''}`, align: 'right' },
    ...bases.map((name) => ({
      header: `vs ${name}`,
      value: (r: RankedTrial) => (r.speedup[name] ? `${r.speedup[name]!.toFixed(2)}x` : '-'),
      align: 'right' as const,
    })),
    { header: 'params that vary / why not', value: (r) => formatParams(r.params, keys) + (r.why ? `  [${r.why}]` : '') },
  ]);
}

export const trialsCommand: CommandModule<object, TrialsArgs> = {
  command: 'trials',
  describe: 'List the trials of a study, ranked: feasible first, then by the objective',
  builder: (y) =>
    y
      .option('study', studyOption)
      .options(storageOptions)
      .option('top', { type: 'number', describe: 'show only the first N' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON array in rank order' }),
  handler: async (args) => {
    if (args.top !== undefined && !(Number.isInteger(args.top) && args.top >= 1)) {
      throw new AutotuneError('E_USAGE', `--top must be a whole number >= 1, got ${args.top}`, { hint: 'e.g. --top 5; leave it out to list every trial' });
    }
    const storage = await openStorage(storageLocation(args), { mustExist: true });
    try {
      const loaded = await loadRanking(storage, await selectStudy(storage, args.study));
      const shown = args.top !== undefined ? loaded.ranking.slice(0, args.top) : loaded.ranking;
      if (args.json) return printJson(shown.map(rankedTrialJson));
      requireTrials(loaded);
      const { study } = loaded;
      process.stdout.write(
        `study ${study.name} (${study.spaceFile}, objective ${study.objective.kind}): ${loaded.ranking.length} trials, ` +
          `${loaded.ranking.filter((r) => r.feasible).length} feasible\n\n`,
      );
      process.stdout.write(`${formatRanking(shown, loaded.ranking)}\n\n`);
      process.stdout.write(
        `rank N= : not distinguishable from the best (Mann-Whitney U, alpha ${RANK_TEST_ALPHA}); n: successful/all challenges, c = confirmation race; vs X: X's median / this median\n`,
      );
    } finally {
      await storage.close();
    }
  },
};
