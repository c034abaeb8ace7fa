import type { TopLevelSpec } from 'vega-lite';
import { speedScore } from '../score/sn44.js';
import type { ReportData, ReportTrial } from './model.js';
import { paretoFront } from './pareto.js';
import { STAGE_LABELS, STAGE_NAMES } from './stages.js';

// One Vega-Lite spec per chart of the report; each is a pure function of the report data.

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const WIDTH = 560;
const BASE = { $schema: SCHEMA, background: 'white', config: { font: 'sans-serif', view: { stroke: '#ddd' } } };

export interface Chart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

function kindOf(t: ReportTrial, winner: number | null): string {
  if (t.number === winner) return 'winner';
  if (t.baseline) return 'baseline';
  return t.feasible ? 'feasible' : 'infeasible';
}

const KIND_SCALE = {
  domain: ['winner', 'baseline', 'feasible', 'infeasible'],
  range: ['#d62728', '#1f77b4', '#2ca02c', '#aaaaaa'],
};

const measured = (t: ReportTrial): t is ReportTrial & { median: number; accuracy: number } =>
  t.median !== null && t.accuracy !== null;

export function timeVsAccuracy(data: ReportData): Chart {
  const points = data.trials.filter(measured).map((t) => ({
    trial: t.number,
    time: t.median,
    accuracy: t.accuracy,
    kind: kindOf(t, data.winner),
    label: t.number === data.winner ? `winner #${t.number}` : (t.baseline ?? ''),
  }));
  const front = paretoFront(points);
  return {
    id: 'time-accuracy',
    title: 'Time versus accuracy',
    caption: 'Median total time against accuracy (F1 vs the reference answer) for every trial; the line is the Pareto front.',
    spec: {
      ...BASE,
      width: WIDTH,
      height: 320,
      layer: [
        {
          data: { values: front },
          mark: { type: 'line', interpolate: 'step-after', color: '#555', strokeDash: [4, 3] },
          encoding: {
            x: { field: 'time', type: 'quantitative', title: 'median total time (s)' },
            y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (F1 vs reference)', scale: { zero: false } },
          },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 70 },
          encoding: {
            x: { field: 'time', type: 'quantitative' },
            y: { field: 'accuracy', type: 'quantitative' },
            color: { field: 'kind', type: 'nominal', scale: KIND_SCALE, title: null },
            shape: { field: 'kind', type: 'nominal', title: null },
            tooltip: [{ field: 'trial' }, { field: 'time' }, { field: 'accuracy' }],
          },
        },
        {
          data: { values: points.filter((p) => p.label) },
          mark: { type: 'text', dx: 6, dy: -8, align: 'left', fontSize: 11 },
          encoding: {
            x: { field: 'time', type: 'quantitative' },
            y: { field: 'accuracy', type: 'quantitative' },
            text: { field: 'label' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

export function stageTimeline(data: ReportData): Chart {
  const shown = data.trials.filter((t) => t.stages && (t.number === data.winner || t.baseline));
  const rows = shown.flatMap((t) =>
    STAGE_NAMES.map((stage, order) => ({
      row: t.number === data.winner ? `winner #${t.number}` : `${t.baseline} (#${t.number})`,
      stage: STAGE_LABELS[stage],
      order,
      seconds: t.stages![stage],
    })),
  );
  return {
    id: 'stages',
    title: 'Where the time goes',
    caption:
      'Median critical path of a challenge: connect, first byte, download until the decoder starts, decode until the first frame, inference until the last frame, and the wait for the answer.',
    spec: {
      ...BASE,
      width: WIDTH,
      height: { step: 28 },
      data: { values: rows },
      mark: 'bar',
      encoding: {
        y: { field: 'row', type: 'nominal', title: null, sort: null },
        x: { field: 'seconds', type: 'quantitative', stack: 'zero', title: 'seconds from challenge start' },
        color: { field: 'stage', type: 'nominal', sort: STAGE_NAMES.map((s) => STAGE_LABELS[s]), title: 'stage' },
        order: { field: 'order', type: 'quantitative' },
        tooltip: [{ field: 'row' }, { field: 'stage' }, { field: 'seconds', format: '.3f' }],
      },
    } as TopLevelSpec,
  };
}

export function bestSoFar(data: ReportData): Chart {
  const byNumber = [...data.trials].sort((a, b) => a.number - b.number);
  const better = (a: number, b: number) => (data.direction === 'minimize' ? a < b : a > b);
  let best: number | null = null;
  const rows = byNumber.map((t) => {
    if (t.feasible && t.value !== null && (best === null || better(t.value, best))) best = t.value;
    return { trial: t.number, value: t.value, best, kind: kindOf(t, data.winner) };
  });
  const title = data.direction === 'minimize' ? 'objective (s, lower is better)' : 'objective (higher is better)';
  return {
    id: 'best-so-far',
    title: 'Best so far',
    caption: 'The objective of each trial and the best feasible value found up to that trial.',
    spec: {
      ...BASE,
      width: WIDTH,
      height: 260,
      layer: [
        {
          data: { values: rows.filter((r) => r.value !== null) },
          mark: { type: 'point', filled: true },
          encoding: {
            x: { field: 'trial', type: 'quantitative', title: 'trial number' },
            y: { field: 'value', type: 'quantitative', title, scale: { zero: false } },
            color: { field: 'kind', type: 'nominal', scale: KIND_SCALE, title: null },
          },
        },
        {
          data: { values: rows.filter((r) => r.best !== null) },
          mark: { type: 'line', interpolate: 'step-after', color: '#d62728' },
          encoding: {
            x: { field: 'trial', type: 'quantitative' },
            y: { field: 'best', type: 'quantitative' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

export function knobEffects(data: ReportData, measure: 'time' | 'accuracy'): Chart {
  const rows = data.trials.filter(measured).flatMap((t) =>
    data.knobs
      .filter((knob) => knob in t.params)
      .map((knob) => ({
        knob,
        value: String(t.params[knob]),
        numeric: Number(t.params[knob]),
        y: measure === 'time' ? t.median : t.accuracy,
        kind: kindOf(t, data.winner),
      })),
  );
  return {
    id: `knobs-${measure}`,
    title: measure === 'time' ? 'Each knob against time' : 'Each knob against accuracy',
    caption:
      measure === 'time'
        ? 'Median total time of every trial, by the value each knob had in it.'
        : 'Accuracy (F1 vs the reference) of every trial, by the value each knob had in it.',
    spec: {
      ...BASE,
      data: { values: rows },
      columns: 4,
      facet: { field: 'knob', type: 'nominal', title: null, sort: data.knobs },
      spec: {
        width: 120,
        height: 110,
        mark: { type: 'point', filled: true, opacity: 0.8 },
        encoding: {
          x: { field: 'value', type: 'ordinal', title: null, sort: { field: 'numeric', op: 'min' } },
          y: {
            field: 'y',
            type: 'quantitative',
            title: measure === 'time' ? 'median time (s)' : 'accuracy',
            scale: { zero: false },
          },
          color: { field: 'kind', type: 'nominal', scale: KIND_SCALE, title: null },
        },
      },
      resolve: { scale: { x: 'independent' } },
    } as TopLevelSpec,
  };
}

/** t_min values the SN44 chart spans (the fastest competitor's time). */
export const T_MIN_RANGE = Array.from({ length: 19 }, (_, i) => 1 + i * 0.5);

export function sn44VsTmin(data: ReportData): Chart {
  const shown = data.trials.filter(
    (t) => (t.number === data.winner || t.baseline) && t.median !== null && t.quality !== null,
  );
  const rows = shown.flatMap((t) =>
    T_MIN_RANGE.map((tMin) => ({
      series: t.number === data.winner ? `winner #${t.number}` : `${t.baseline} (#${t.number})`,
      tMin,
      score: 0.65 * t.quality! + 0.35 * speedScore(t.median!, t.bboxQuality ?? 1, tMin),
    })),
  );
  return {
    id: 'sn44-tmin',
    title: 'SN44 score estimate against the fastest miner',
    caption:
      'Estimated validator score (0.65 quality + 0.35 speed) as a function of the fastest competitor’s time t_min; speed is exp(-5 (t - t_min) / (15 - t_min)) and 1 when this miner is the fastest.',
    spec: {
      ...BASE,
      width: WIDTH,
      height: 280,
      data: { values: rows },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'tMin', type: 'quantitative', title: 'fastest competitor t_min (s)' },
        y: { field: 'score', type: 'quantitative', title: 'SN44 score estimate', scale: { domain: [0, 1] } },
        color: { field: 'series', type: 'nominal', title: null },
      },
    } as TopLevelSpec,
  };
}

/** The control's times over the study, relative to each video's time at the start: drift shows as a moving line. */
export function controlOverTime(data: ReportData): Chart | null {
  if (!data.control || data.control.points.length === 0) return null;
  const { name, points } = data.control;
  const verdict = data.drift.detected
    ? `The host's speed changed: the rolling median moved ${data.drift.factor.toFixed(2)}x (drift threshold ${data.drift.threshold.toFixed(2)}x), ${
        data.rankedBy === 'control-normalised'
          ? 'so trials are ranked by their ratio to the control measured near them.'
          : 'and trials are still ranked on their absolute figures (this objective has no ratio to the control to rank by): read them with care.'
      }`
    : `The rolling median moved ${data.drift.factor.toFixed(2)}x, under the drift threshold of ${data.drift.threshold.toFixed(2)}x.`;
  return {
    id: 'control',
    title: `The control (${name}) over the study`,
    caption: `Every challenge of the control config in the order measured (its own trial, the control rounds between trials, the race), divided by its video's time at the start of the study; the line is the rolling median. ${verdict}`,
    spec: {
      ...BASE,
      width: WIDTH,
      height: 240,
      layer: [
        {
          data: { values: [{ y: 1 }] },
          mark: { type: 'rule', color: '#999', strokeDash: [2, 2] },
          encoding: { y: { field: 'y', type: 'quantitative' } },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 40 },
          encoding: {
            x: { field: 'index', type: 'quantitative', title: 'control challenge (in the order measured)' },
            y: { field: 'normalised', type: 'quantitative', title: 'time / time at the start', scale: { zero: false } },
            color: { field: 'video', type: 'nominal', title: 'video' },
            shape: { field: 'phase', type: 'nominal', title: 'phase' },
            tooltip: [{ field: 'video' }, { field: 'phase' }, { field: 'total', format: '.3f' }, { field: 'normalised', format: '.3f' }],
          },
        },
        {
          data: { values: points.filter((p) => p.rolling !== null) },
          mark: { type: 'line', color: data.drift.detected ? '#d62728' : '#333' },
          encoding: {
            x: { field: 'index', type: 'quantitative' },
            y: { field: 'rolling', type: 'quantitative' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

export function allCharts(data: ReportData): Chart[] {
  const control = controlOverTime(data);
  return [
    ...(control ? [control] : []),
    timeVsAccuracy(data),
    stageTimeline(data),
    bestSoFar(data),
    knobEffects(data, 'time'),
    knobEffects(data, 'accuracy'),
    sn44VsTmin(data),
  ];
}
