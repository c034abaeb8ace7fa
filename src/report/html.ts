import { allCharts } from './charts.js';
import type { ReportData, ReportTrial } from './model.js';
import { renderSvg } from './render.js';

// One self-contained HTML file: inline CSS and inline SVG charts, no scripts, no network.

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const num = (v: number | null, digits = 3) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)}%`);

/** Which figures a gain compares, next to it: a column may mix race and search gains. */
const BASIS_LABEL: Record<ReportTrial['speedupBasis'][string], string> = {
  race: 'race',
  search: 'search',
  'control-normalised': 'search, vs control',
};

function row(t: ReportTrial, data: ReportData, baselines: string[]): string {
  const cls = [t.number === data.winner ? 'winner' : '', t.feasible ? '' : 'infeasible', t.baseline ? 'baseline' : '']
    .filter(Boolean)
    .join(' ');
  const interval = t.low !== null && t.high !== null ? ` <small>[${num(t.low)}, ${num(t.high)}]</small>` : '';
  const from = `<small class="phase">${t.phase === 'confirm' ? 'race' : 'search'}</small>`;
  const ratioInterval = t.ratio && t.ratio.low !== null && t.ratio.high !== null ? ` <small>[${num(t.ratio.low, 2)}, ${num(t.ratio.high, 2)}]</small>` : '';
  const ratio = t.ratio ? `${num(t.ratio.median, 2)}${ratioInterval}` : '–';
  const state = t.dropped
    ? `dropped <small>(p ${t.dropped.p.toPrecision(2)} vs #${t.dropped.vs})</small>`
    : `${t.feasible ? 'yes' : 'no'}${t.tiedWithBest ? ' <small>(tied)</small>' : ''}`;
  const params = Object.entries(t.params)
    .map(([k, v]) => `${escape(k)}=${escape(String(v))}`)
    .join(' ');
  const gains = baselines.map((b) =>
    t.speedups[b] === undefined ? '<td>–</td>' : `<td>${t.speedups[b]!.toFixed(2)}× <small class="phase">${BASIS_LABEL[t.speedupBasis[b] ?? 'search']}</small></td>`,
  );
  return `<tr class="${cls}"><td>${t.rank ?? '–'}</td><td>#${t.number}${t.number === data.winner ? ' ★' : ''}</td>
<td>${escape(t.baseline ?? '')}</td><td>${state}</td>
<td>${num(t.median)}${interval} ${from}</td><td>${num(t.p90)}</td><td>${ratio}</td><td>${pct(t.accuracy)}</td><td>${pct(t.coverage)}</td>
<td>${num(t.sn44)}</td><td>${t.repeats}${t.raceRounds ? ` + ${t.raceRounds} race` : ''}</td><td>${t.saved || ''}</td>${gains.join('')}<td class="params">${params}</td></tr>`;
}

function rankingTable(trials: readonly ReportTrial[], data: ReportData, baselines: string[]): string {
  return `<table><thead><tr><th>rank</th><th>trial</th><th>baseline</th><th>feasible</th><th>median s [95% CI]</th><th>p90 s</th><th>time ÷ control [95% CI] <small>(&lt;1 faster)</small></th><th>accuracy</th><th>coverage</th><th>SN44 est.</th><th>repeats</th><th>saved</th>${baselines.map((b) => `<th>vs ${escape(b)} <small>(× faster)</small></th>`).join('')}<th>params</th></tr></thead>
<tbody>${trials.map((t) => row(t, data, baselines)).join('\n')}</tbody></table>`;
}

/** One host's own ranking (its figures, its control, its winner): hosts are never ranked in one table. */
function hostSection(h: NonNullable<ReportData['hosts']>[number], data: ReportData, baselines: string[]): string {
  const notes = h.notes.map((n) => `<li>${escape(n)}</li>`).join('');
  return `<section class="host" data-host="${escape(h.host)}"><h2>Ranking on host ${escape(h.host)}</h2>
${notes ? `<ul class="notes">${notes}</ul>` : ''}
${rankingTable(h.trials, { ...data, winner: h.winner }, baselines)}</section>`;
}

export async function renderReportHtml(data: ReportData): Promise<string> {
  const charts = allCharts(data);
  const svgs = await Promise.all(charts.map((c) => renderSvg(c.spec)));
  const baselines = [...new Set(data.trials.map((t) => t.baseline).filter((b): b is string => !!b))];
  const figures = charts
    .map(
      (c, i) =>
        `<figure class="chart" data-chart="${c.id}"><h2>${escape(c.title)}</h2>${svgs[i]}<figcaption>${escape(c.caption)}</figcaption></figure>`,
    )
    .join('\n');
  const notes = data.notes.map((n) => `<li${/^warning: the host's speed/.test(n) ? ' class="drift"' : ''}>${escape(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sn44-autotune report: ${escape(data.study)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .meta{color:#666;margin-top:0}
table{border-collapse:collapse;font-size:13px;width:100%} th,td{border-bottom:1px solid #e4e4e4;padding:4px 6px;text-align:right;vertical-align:top}
th{background:#f6f6f6} td.params{text-align:left;font-family:ui-monospace,monospace;font-size:11px;color:#444}
tr.winner{background:#fff3f0;font-weight:600} tr.baseline td:nth-child(3){color:#1f77b4} tr.infeasible{color:#999}
small.phase{color:#888} ul.notes li.drift{color:#b00020;font-weight:600}
figure.chart{margin:2rem 0} figure.chart h2{font-size:1.1rem} figcaption{color:#666;font-size:13px;max-width:760px}
</style></head><body>
<h1>Study ${escape(data.study)}</h1>
<p class="meta">objective ${escape(data.objective)} · space ${escape(data.space)} · host ${escape(data.host)} · started ${escape(data.created)} · report ${escape(data.generated)}</p>
${notes ? `<ul class="notes">${notes}</ul>` : ''}
${data.hosts ? data.hosts.map((h) => hostSection(h, data, baselines)).join('\n') : `<h2>Ranking</h2>\n${rankingTable(data.trials, data, baselines)}`}
${figures}
</body></html>
`;
}
