// What one knob's values look like: normalization (booleans -> 0/1), membership checks and the
// finite set of points a grid visits.
import type { KnobValue, ParamSpec } from './types.js';

/** Floats without a step are visited at this many evenly spaced points by the grid sampler. */
export const GRID_FLOAT_POINTS = 5;
/** Ints on a log scale with more values than this are visited at this many geometric points. */
export const GRID_LOG_INT_POINTS = 16;

const EPS = 1e-9;

/** true/false -> 1/0; everything else unchanged. */
export function normalizeValue(value: KnobValue): KnobValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** A value as it is quoted in messages. */
export function quote(value: unknown): string {
  if (typeof value === 'string' || (value !== null && typeof value === 'object')) return JSON.stringify(value);
  return String(value);
}

/** Rounds away binary noise (0.1 + 2*0.05 -> 0.2) without losing meaningful digits. */
export function tidy(x: number): number {
  return Number.parseFloat(x.toPrecision(12));
}

/** The choices of a discrete param (bool, categorical), else undefined. */
const BOOL_CHOICES: readonly KnobValue[] = Object.freeze([0, 1]);

export function choicesOf(param: ParamSpec): KnobValue[] | undefined {
  if (param.type === 'bool') return BOOL_CHOICES as KnobValue[];
  if (param.type === 'categorical') return param.choices ?? [];
  return undefined;
}

/** The step of a numeric param when its values are discrete (int always, float when given a step). */
export function stepOf(param: ParamSpec): number | undefined {
  if (param.type === 'int') return param.step ?? 1;
  if (param.type === 'float') return param.step;
  return undefined;
}

/** Why `value` is not a value of `param`, or null when it is. Expects a normalized value. */
export function valueProblem(param: ParamSpec, value: KnobValue): string | null {
  const choices = choicesOf(param);
  if (choices) {
    if (choices.some((c) => c === value)) return null;
    return `${quote(value)} is not one of ${choices.map(quote).join(', ')}`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return `${quote(value)} is not a number (${param.type} expected)`;
  }
  if (param.type === 'int' && !Number.isInteger(value)) return `${value} is not an integer`;
  const low = param.low as number;
  const high = param.high as number;
  const tol = EPS * Math.max(1, Math.abs(low), Math.abs(high));
  if (value < low - tol || value > high + tol) return `${value} is outside ${low}..${high}`;
  const step = stepOf(param);
  if (step !== undefined && !onStep(value - low, step)) {
    return `${value} is not on the step grid ${low} + k*${step}`;
  }
  return null;
}

/** Whether `offset` is a whole multiple of `step` (with float tolerance). */
export function onStep(offset: number, step: number): boolean {
  const k = offset / step;
  return Math.abs(k - Math.round(k)) < 1e-6;
}

/** The values a grid visits for this param, in ascending/declared order. */
export function gridValues(param: ParamSpec): KnobValue[] {
  const choices = choicesOf(param);
  if (choices) return choices;
  const low = param.low as number;
  const high = param.high as number;
  const step = stepOf(param);
  if (param.type === 'int' && param.log && high - low + 1 > GRID_LOG_INT_POINTS) {
    const a = Math.log(low);
    const b = Math.log(high);
    const points = Array.from({ length: GRID_LOG_INT_POINTS }, (_, k) =>
      Math.round(Math.exp(a + ((b - a) * k) / (GRID_LOG_INT_POINTS - 1))),
    );
    return [...new Set(points)];
  }
  if (step !== undefined) {
    const n = Math.round((high - low) / step);
    return Array.from({ length: n + 1 }, (_, k) => tidy(low + k * step));
  }
  const n = GRID_FLOAT_POINTS;
  if (param.log) {
    const a = Math.log(low);
    const b = Math.log(high);
    return Array.from({ length: n }, (_, k) => tidy(Math.exp(a + ((b - a) * k) / (n - 1))));
  }
  return Array.from({ length: n }, (_, k) => tidy(low + ((high - low) * k) / (n - 1)));
}

/** Snaps a number into a numeric param's domain (clamp, then the step grid / integer). */
export function snap(param: ParamSpec, x: number): number {
  const low = param.low as number;
  const high = param.high as number;
  let v = Math.min(high, Math.max(low, x));
  const step = stepOf(param);
  if (step !== undefined) {
    const k = Math.round((v - low) / step);
    const maxK = Math.round((high - low) / step);
    v = tidy(low + Math.min(maxK, Math.max(0, k)) * step);
  }
  return v;
}
