// autotune trials: the study's trials ranked (feasible first), with intervals and speed-ups.

import type { CommandBody } from '../command-body.js';
import { AutotuneError } from '../../errors.js';
import { rankedTrialJson } from '../../emit/summary.js';
import { openStorage } from '../../store/index.js';
import { acrossHostsLine, analyseHosts, type HostAnalysis } from '../../study/hosts.js';
import { describeMeasuredBy } from '../../study/measured-by.js';
import { studyNotes } from '../../study/notes.js';
import { baselineRows, type RankedTrial, type SpeedupBasis, type StudyAnalysis } from '../../study/ranking.js';
import { loadRanking, requireTrials, selectStudy } from '../../study/select.js';
import { RANK_TEST_ALPHA } from '../../study/stats.js';
import { fitTable, percent, seconds, wrapWords } from '../../util/format.js';
import { givenValue, printJson, terminalWidth } from '../output.js';
import { storageLocation, storageOptions, studyOption, type StorageArgs } from '../options.js';

interface TrialsArgs extends StorageArgs {
  study?: string;
  top?: number;
  json: boolean;
  'by-host': boolean;
  host?: string;
  wide: boolean;
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

const STATE_WORDS = (r: RankedTrial) =>
  r.dropped ? 'dropped' : r.feasible ? 'ok' : r.state === 'COMPLETE' ? 'infeasible' : r.state.toLowerCase();

const BASIS_MARK: Record<SpeedupBasis, string> = { race: ' r', search: ' s', 'control-normalised': ' n' };

/**
 * The ranking as a table, with a host column when the study's trials ran on more than one host. With a
 * terminal's `width` it fits that width (see fitTable) and says under the table what moved or was hidden.
 */
export function formatRanking(ranking: readonly RankedTrial[], all: readonly RankedTrial[], width?: number): string {
  const bases = baselineRows(all).map((b) => b.baseline!);
  const keys = varyingKeys(all);
  const f3 = (v: number | null) => (v === null ? '-' : v.toFixed(3));
  const withRatio = all.some((r) => r.ratioToControl !== null);
  const withHost = new Set(all.map((r) => r.host)).size > 1;
  const fitted = fitTable(ranking, [
    { header: 'rank', value: (r) => `${r.rank}${r.tiedWithBest && r.rank > 1 ? '=' : ''}`, align: 'right' },
    ...(withHost ? [{ header: 'host', value: (r: RankedTrial) => r.host }] : []),
    { header: 'trial', value: (r) => String(r.number), align: 'right' },
    { header: 'state', value: STATE_WORDS },
    { header: 'baseline', value: (r) => r.baseline ?? '' },
    // Race and search figures are never in one column without their mark.
    { header: 'median', value: (r) => `${seconds(r.median)} ${r.phase === 'confirm' ? 'race' : 'srch'}`, align: 'right' },
    { header: '95% CI', value: (r) => (r.interval ? `${r.interval.low.toFixed(3)}-${r.interval.high.toFixed(3)}` : '-'), align: 'right', dropOrder: 8 },
    { header: 'p90', value: (r) => seconds(r.p90), align: 'right', dropOrder: 1 },
    ...(withRatio
      ? [
          {
            header: 'vs control [95% CI]',
            value: (r: RankedTrial) =>
              r.ratioToControl
                ? `${r.ratioToControl.median.toFixed(2)} ${r.ratioToControl.low !== null && r.ratioToControl.high !== null ? `[${r.ratioToControl.low.toFixed(2)}-${r.ratioToControl.high.toFixed(2)}]` : '[1 pair]'}`
                : '-',
            align: 'right' as const,
          },
        ]
      : []),
    { header: 'accuracy', value: (r) => f3(r.accuracy), align: 'right' },
    { header: 'coverage', value: (r) => percent(r.coverage), align: 'right', dropOrder: 6 },
    { header: 'sn44', value: (r) => f3(r.sn44), align: 'right', dropOrder: 2 },
    { header: 'n', value: (r) => `${r.challenges - r.failed}/${r.challenges}`, align: 'right' },
    { header: 'reps', value: (r) => `${r.repeats}${r.raceRounds ? `+${r.raceRounds}r` : ''}`, align: 'right', dropOrder: 7 },
    { header: 'saved', value: (r) => (r.saved ? String(r.saved) : ''), align: 'right', dropOrder: 3 },
    ...bases.map((name, i) => ({
      header: `vs ${name}`,
      value: (r: RankedTrial) => (r.speedup[name] ? `${r.speedup[name]!.toFixed(2)}x${BASIS_MARK[r.speedupBasis[name]!]}` : '-'),
      align: 'right' as const,
      // The first baseline (the fork's default) stays: best.env's speed-up is over it.
      ...(i > 0 ? { dropOrder: 4 } : {}),
    })),
    { header: 'params that vary / why not', value: (r) => formatParams(r.params, keys) + (r.why ? `  [${r.why}]` : '') },
  ], width);
  if (!fitted.under || width === undefined) return fitted.text;
  const note =
    `to fit ${width} columns, each row's ${fitted.under} is on the line under it` +
    (fitted.hidden.length ? `, and ${fitted.hidden.join(', ')} ${fitted.hidden.length === 1 ? 'is' : 'are'} hidden` : '') +
    ': autotune trials --wide (or a pipe, or a file) shows every column';
  return [fitted.text, ...wrapWords(note, width)].join('\n');
}

/** What the table's marks mean. */
export function rankingLegend(analysis: StudyAnalysis): string {
  return [
    `rank N= : not distinguishable from the best (Mann-Whitney U on figures of the same phase, alpha ${RANK_TEST_ALPHA}); ` +
      'no mark: behind it, or too few figures for the test to tell (one challenge against four cannot reach the alpha)' +
      (analysis.acrossHosts
        ? "; the test, the medians and the vs columns compare trials of the row's own host"
        : analysis.rankedBy === 'control-normalised'
          ? '; ranked by the ratio to the control (the host drifted)'
          : ''),
    'median: race = from the confirmation race, srch = from the search; n: successful/all challenges ranked; reps: search repeats per video + race rounds',
    '95% CI: - for one figure; vs control: median ratio to the control measured near it in time on the same video ([1 pair]: one figure, no interval); ' +
      'saved: challenges saved by early stops and the race' +
      (analysis.control && analysis.race.contenders.length > 0
        ? "\nbelow the race's survivors, trials raced or not are ranked by their value against the control (measured in both phases)"
        : ''),
    'vs X: X\'s median / this median, comparing r = race figures, s = search figures, n = control-normalised search figures',
  ].join('\n');
}

/** Each host's notes (drift, control, race, warnings), prefixed with the host. */
function hostNotes(perHost: readonly HostAnalysis[]): string[] {
  return perHost.flatMap((h) => studyNotes(h.analysis).map((note) => `host ${h.host}: ${note}`));
}

export const trialsCommand: CommandBody<TrialsArgs> = {
  builder: (y) =>
    y
      .option('study', studyOption)
      .options(storageOptions)
      .option('top', { type: 'number', describe: 'show only the first N' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON array in rank order' })
      .option('by-host', { type: 'boolean', default: false, describe: 'one ranking per host that measured the study' })
      .option('host', { type: 'string', describe: "only the trials measured on this host (see the study's hosts with --by-host)" })
      .option('wide', { type: 'boolean', default: false, describe: 'every column on one line, also in a terminal narrower than the table' }),
  handler: async (args) => {
    if (args.top !== undefined && !(Number.isInteger(args.top) && args.top >= 1)) {
      throw new AutotuneError('E_USAGE', `--top must be a whole number >= 1, got ${givenValue(args.top)}`, { hint: 'e.g. --top 5; leave it out to list every trial' });
    }
    if (args['by-host'] && args.host !== undefined) {
      throw new AutotuneError('E_USAGE', '--by-host and --host together', { hint: 'pass --by-host for every host, or --host NAME for one' });
    }
    const storage = await openStorage(storageLocation(args), { mustExist: true });
    try {
      const study = await selectStudy(storage, args.study);
      const whole = await loadRanking(storage, study, args.host);
      // Each host's own analysis, from what was loaded (one per host; only the one with --host).
      const perHost = args['by-host'] || whole.analysis.acrossHosts ? analyseHosts(study, whole.trials, whole.measurements) : [];
      const views: { host: string | null; analysis: StudyAnalysis }[] = args['by-host'] ? perHost : [{ host: whole.host, analysis: whole.analysis }];
      const top = (ranking: RankedTrial[]) => (args.top !== undefined ? ranking.slice(0, args.top) : ranking);
      if (args.json) return printJson(views.flatMap((v) => top(v.analysis.ranking).map((r) => rankedTrialJson(r, v.analysis))));
      requireTrials(whole);
      const width = terminalWidth(args.wide);
      // Prose lines wrap at words in a terminal; a pipe or a file gets one line each.
      const say = (text: string) => {
        const lines = text.split('\n');
        process.stdout.write(`${(width === undefined ? lines : lines.flatMap((l) => (l === '' ? [''] : wrapWords(l, width)))).join('\n')}\n`);
      };
      say(
        `study ${study.name} (${study.spaceFile}, objective ${study.objective.kind}): ${whole.ranking.length} trials, ` +
          `${whole.ranking.filter((r) => r.feasible).length} feasible` +
          (whole.host !== null ? `, measured on host ${whole.host}` : ''),
      );
      say(`${describeMeasuredBy(study.settings).line}\n`);
      const across = args['by-host'] ? null : acrossHostsLine(whole.analysis);
      if (across) say(across);
      for (const { host, analysis } of views) {
        const { ranking } = analysis;
        if (args['by-host']) say(`host ${host}: ${ranking.length} trials, ${ranking.filter((r) => r.feasible).length} feasible`);
        const notes = across ? hostNotes(perHost) : studyNotes(analysis);
        for (const note of notes) say(note);
        process.stdout.write(`\n${formatRanking(top(ranking), ranking, width)}\n\n`);
      }
      say(rankingLegend(whole.analysis));
    } finally {
      await storage.close();
    }
  },
};
