// The benchmark's outputs: the terminal table, the Markdown file and the JSON file. Pure functions of
// the results, rewritten after each profile, so an interrupted run keeps what it measured.

import { formatTable, type Column } from '../../src/util/format.js';
import type { FloorResult } from './floor.js';
import type { ProfileResult } from './profile.js';
import type { ContenderFigures } from './side-by-side.js';

interface Row {
  profile: string;
  c: ContenderFigures;
  floor: FloorResult | null;
}

const s3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(3));

function columns(tMin: number): Column<Row>[] {
  return [
    { header: 'profile', value: (r) => r.profile },
    { header: 'config', value: (r) => [r.c.contender.label, ...r.c.contender.aliases].join(' = ') },
    {
      header: 'median total [95% CI]',
      value: (r) => {
        const f = r.c.figures;
        if (f.median === null) return 'FAILED';
        return `${f.median.toFixed(3)} s [${s3(f.interval?.low)}, ${s3(f.interval?.high)}]`;
      },
      align: 'right',
    },
    { header: 'accuracy (F1)', value: (r) => s3(r.c.figures.accuracy), align: 'right' },
    { header: 'coverage', value: (r) => (r.c.figures.coverage === null ? '-' : `${(r.c.figures.coverage * 100).toFixed(1)}%`), align: 'right' },
    { header: `SN44 @ t_min ${tMin} s`, value: (r) => s3(r.c.figures.sn44), align: 'right' },
    { header: 'ratio (/ winner)', value: (r) => (r.c.ratioToWinner === null ? '-' : `${r.c.ratioToWinner.toFixed(2)}x`), align: 'right' },
    {
      header: 'floor ratio',
      value: (r) => (!r.floor ? '-' : r.floor.error !== undefined ? 'failed' : `${r.floor.ratio.toFixed(2)}x (${r.floor.slowest})`),
      align: 'right',
    },
    { header: 'ok', value: (r) => `${r.c.figures.challenges - r.c.figures.failed}/${r.c.figures.challenges}`, align: 'right' },
    { header: 'note', value: (r) => noteOf(r.c) },
  ];
}

function noteOf(c: ContenderFigures): string {
  const f = c.figures;
  if (f.failed === f.challenges) return `every challenge failed: ${f.firstError ?? 'unknown reason'}`;
  if (f.failed > 0) return `${f.failed} failed: ${f.firstError}`;
  if (!f.feasible && f.why) return f.why;
  return '';
}

function rowsOf(results: readonly ProfileResult[]): Row[] {
  return results.flatMap((p) => p.contenders.map((c) => ({ profile: p.profile, c, floor: p.floor[c.contender.label] ?? null })));
}

export function textTable(results: readonly ProfileResult[], tMin: number): string {
  return formatTable(rowsOf(results), columns(tMin));
}

export function markdownTable(results: readonly ProfileResult[], tMin: number): string {
  const cols = columns(tMin);
  const rows = rowsOf(results);
  const esc = (v: string) => v.replace(/\|/g, '\\|');
  return [
    `| ${cols.map((c) => c.header).join(' | ')} |`,
    `| ${cols.map((c) => (c.align === 'right' ? '---:' : ':---')).join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => esc(c.value(r))).join(' | ')} |`),
  ].join('\n');
}

export function floorLines(results: readonly ProfileResult[]): string[] {
  const lines: string[] = [];
  for (const p of results) {
    for (const [label, f] of Object.entries(p.floor)) {
      if (!f) continue;
      lines.push(
        f.error !== undefined
          ? `${p.profile} / ${label}: floor not measured (${f.error})`
          : `${p.profile} / ${label}: total ${f.total.toFixed(3)} s over slowest stage alone ${f.slowest} ` +
              `(download ${f.download.toFixed(3)} s, decode ${f.decode.toFixed(3)} s, inference ${f.infer.toFixed(3)} s for ${f.framesInferred} frames) = ${f.ratio.toFixed(2)}x`,
      );
    }
  }
  return lines;
}

export function winnerLines(results: readonly ProfileResult[]): string[] {
  return results.map((p) => {
    const w = p.study.winner;
    if (!w) return `${p.profile}: the study found no feasible winner (${p.study.noWinner?.split('\n')[0] ?? 'no reason'})`;
    const params = Object.entries(w.params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `${p.profile}: winner trial ${w.number}${w.baseline ? ` (baseline ${w.baseline})` : ''}: ${params}`;
  });
}

export function markdownReport(o: {
  startedAt: string;
  settings: Record<string, unknown>;
  host: { cpuModel: string | null; cpuCount: number; node: string };
  results: readonly ProfileResult[];
  tMin: number;
  complete: boolean;
  seconds: number;
}): string {
  return [
    `# sn44-autotune benchmark, ${o.startedAt}${o.complete ? '' : ' (incomplete)'}`,
    '',
    `Host: ${o.host.cpuCount} x ${o.host.cpuModel ?? 'unknown CPU'}, Node ${o.host.node}. Run time ${o.seconds.toFixed(0)} s.`,
    '',
    `Settings: \`${JSON.stringify(o.settings)}\``,
    '',
    'Median total time per challenge (seconds from the challenge start to the answer) with a bootstrap 95% interval of the median; ' +
      'accuracy is the lowest per-video median F1 against the reference answer; ratio = the config\'s median / the winner\'s median (> 1: the winner is faster); ' +
      'floor ratio = median total on the first clip / the slowest of download, decode and inference measured alone.',
    '',
    markdownTable(o.results, o.tMin),
    '',
    '## Winners',
    '',
    ...winnerLines(o.results).map((l) => `- ${l}`),
    '',
    '## Floor ratios',
    '',
    ...floorLines(o.results).map((l) => `- ${l}`),
    '',
  ].join('\n');
}
