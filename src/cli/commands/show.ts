// autotune show N: one trial, every measurement and stage.

import type { CommandBody } from '../command-body.js';
import { AutotuneError } from '../../errors.js';
import { rankedTrialJson } from '../../emit/summary.js';
import { openStorage } from '../../store/index.js';
import type { MeasurementRecord } from '../../store/types.js';
import { describeVerdict } from '../../study/progress.js';
import { loadRanking, selectStudy } from '../../study/select.js';
import { WARNING_ADVICE } from '../../study/warnings.js';
import { bytes, formatTable, videoName } from '../../util/format.js';
import { printJson } from '../output.js';
import { formatParams } from './trials.js';
import { storageLocation, storageOptions, studyOption, type StorageArgs } from '../options.js';

interface ShowArgs extends StorageArgs {
  number: string;
  study?: string;
  json: boolean;
}

const ms = (v: number | null) => (v === null ? '-' : (v * 1000).toFixed(0));

export const showCommand: CommandBody<ShowArgs> = {
  builder: (y) =>
    y
      .positional('number', { type: 'string', demandOption: true, describe: 'trial number' })
      .option('study', studyOption)
      .options(storageOptions)
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    const text = String(args.number).trim();
    if (!/^\d+$/.test(text)) {
      throw new AutotuneError('E_USAGE', `${JSON.stringify(String(args.number))} is not a trial number`, { hint: 'pass a number from the first column of `autotune trials`' });
    }
    const number = Number(text);
    const storage = await openStorage(storageLocation(args), { mustExist: true });
    try {
      const study = await selectStudy(storage, args.study);
      const trial = await storage.getTrial(study.id, number);
      if (!trial) {
        throw new AutotuneError('E_NOT_FOUND', `study "${study.name}" has no trial ${number}`, {
          hint: 'list them with `autotune trials`',
        });
      }
      const measurements = await storage.listMeasurements({ trialId: trial.id });
      const loaded = await loadRanking(storage, study);
      const ranked = loaded.ranking.find((r) => r.number === trial.number) ?? null;
      if (args.json) return printJson({ trial, figures: ranked ? rankedTrialJson(ranked, loaded.analysis) : null, measurements });
      const lines = [
        `trial ${trial.number} of study ${study.name}: ${trial.state}${trial.reason ? ` (${trial.reason})` : ''}`,
        `baseline: ${trial.baseline ?? '-'}   started ${trial.startedAt}   finished ${trial.finishedAt ?? '-'}`,
        `params: ${formatParams(trial.params)}`,
      ];
      if (ranked) {
        lines.push(
          `rank ${ranked.rank}, ${ranked.feasible ? 'feasible' : `infeasible: ${ranked.why}`}; median ${ranked.median?.toFixed(3) ?? '-'} s, ` +
            `p90 ${ranked.p90?.toFixed(3) ?? '-'} s, accuracy ${ranked.accuracy?.toFixed(3) ?? '-'}, sn44 ${ranked.sn44?.toFixed(3) ?? '-'} ` +
            `(from ${ranked.phase === 'confirm' ? 'confirmation race' : 'search'} measurements)`,
        );
        const r = ranked.ratioToControl;
        lines.push(
          `repeats: ${ranked.repeats} per video in the search${ranked.raceRounds ? `, ${ranked.raceRounds} race round(s)` : ''}` +
            (r ? `; vs control: ${r.median.toFixed(3)}x ${r.low !== null && r.high !== null ? `[${r.low.toFixed(3)}-${r.high.toFixed(3)}] over ${r.n} pairs` : 'over 1 pair'}` : ''),
        );
        const stopped = describeVerdict(ranked.verdict);
        if (stopped) lines.push(`search: ${stopped}${ranked.saved ? `; ${ranked.saved} challenges saved` : ''}`);
        if (ranked.dropped?.phase === 'confirm') lines.push(`confirmation race: ${ranked.why}`);
        for (const w of ranked.warnings) lines.push(`warning: ${w.message}: ${WARNING_ADVICE[w.kind]}`);
        const miner = [
          ranked.setupS === null ? null : `restart-to-ready ${ranked.setupS.toFixed(2)} s (median, not part of any challenge's time)`,
          ranked.reproducible === null ? null : `answers ${ranked.reproducible ? 'identical' : 'differ'} between repeats`,
        ].filter(Boolean);
        if (miner.length > 0) lines.push(miner.join('; '));
      }
      process.stdout.write(`${lines.join('\n')}\n\n${formatMeasurements(measurements)}\n`);
      process.stdout.write('times in ms from the challenge start; conn = connected, ttfb = first byte, dl = download end; setup = restart-to-ready before it (not in total)\n');
    } finally {
      await storage.close();
    }
  },
};

export function formatMeasurements(rows: readonly MeasurementRecord[]): string {
  const f3 = (v: number | null) => (v === null ? '-' : v.toFixed(3));
  return formatTable(rows, [
    { header: 'phase', value: (m) => m.phase },
    { header: 'rep', value: (m) => String(m.repeat), align: 'right' },
    { header: 'video', value: (m) => videoName(m.videoUrl) },
    { header: 'conn', value: (m) => ms(m.timeline.connected), align: 'right' },
    { header: 'ttfb', value: (m) => ms(m.timeline.firstByte), align: 'right' },
    { header: 'dl', value: (m) => ms(m.timeline.downloadEnd), align: 'right' },
    { header: 'dec', value: (m) => ms(m.timeline.decoderStart), align: 'right' },
    { header: 'frame1', value: (m) => ms(m.timeline.firstFrame), align: 'right' },
    { header: 'batch1', value: (m) => ms(m.timeline.firstBatch), align: 'right' },
    { header: 'last', value: (m) => ms(m.timeline.lastFrame), align: 'right' },
    { header: 'total', value: (m) => ms(m.timeline.total), align: 'right' },
    { header: 'setup', value: (m) => ms(m.setupS ?? null), align: 'right' },
    { header: 'bytes', value: (m) => bytes(m.bytes), align: 'right' },
    { header: 'proto', value: (m) => m.protocol ?? '-' },
    { header: 'frames', value: (m) => `${m.framesAnswered}/${m.framesDecoded}/${m.framesInVideo ?? '?'}`, align: 'right' },
    { header: 'acc', value: (m) => f3(m.accuracy), align: 'right' },
    { header: 'cov', value: (m) => f3(m.coverage), align: 'right' },
    { header: 'sn44', value: (m) => f3(m.sn44), align: 'right' },
    { header: 'provider', value: (m) => m.provider ?? '-' },
    { header: 'decoder', value: (m) => m.decoder ?? '-' },
    { header: 'error', value: (m) => (m.error ? `${m.error.reason}: ${m.error.message}` : '') },
  ]);
}
