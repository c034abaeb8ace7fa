// Reads a replay table: the header against the format, every cell of the measure columns checked.
// Anything that does not fit is one E_INPUT line naming the file, the row and the column. Knob cells
// are kept as written here; they are typed against the search space when the study loads it (fit.ts).

import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { AutotuneError } from '../errors.js';
import { EXTRA_COLUMNS, MEASURE_COLUMNS, type ExtraColumn, type ReplayRow, type ReplayTable } from './format.js';

const KNOB_NAME = /^[A-Z_][A-Z0-9_]*$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const FORMAT_HINT = 'see docs/replay-table.md: the knob columns, then video, repeat, total_s, accuracy, coverage, failed';

/** An E_INPUT error naming the place in the table. */
export function tableError(file: string, row: number | null, column: string | null, what: string, hint = FORMAT_HINT): AutotuneError {
  const where = [row === null ? null : `row ${row}`, column === null ? null : `column ${column}`].filter(Boolean).join(', ');
  return new AutotuneError('E_INPUT', `replay table ${file}${where ? ` ${where}` : ''}: ${what}`, { hint, context: { file, row, column } });
}

/** A strictly written decimal number (no blanks, NaN, Infinity or hex), or null for an empty cell. */
export function parseNumberCell(text: string): number | null | undefined {
  if (text === '') return null;
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function readReplayTable(file: string): ReplayTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot read replay table ${file}: ${(err as Error).message}`, {
      hint: 'pass --table with a CSV file written by `autotune export`',
    });
  }
  return parseReplayTable(text, file);
}

export function parseReplayTable(text: string, file: string): ReplayTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw tableError(file, typeof line === 'number' ? line : null, null, `not a CSV file (${(err as Error).message})`);
  }
  if (records.length === 0) throw tableError(file, null, null, 'the file is empty');
  const header = records[0]!;
  const columns = header.record.map((c) => c.trim());
  const layout = readHeader(columns, file, header.info.lines);
  const rows = records.slice(1).map((r) => readRow(r.record, r.info.lines, columns, layout, file));
  if (rows.length === 0) throw tableError(file, null, null, 'no rows after the header', 'export a study that has measured challenges');
  const videos = [...new Set(rows.map((r) => r.video))];
  return { file, knobs: columns.slice(0, layout.video), extras: layout.extras.map((e) => e.name), rows, videos };
}

interface Layout {
  /** Index of the `video` column (the knob columns come before it). */
  video: number;
  extras: { name: ExtraColumn; index: number }[];
}

function readHeader(columns: string[], file: string, row: number): Layout {
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw tableError(file, row, c, 'the column appears twice');
    seen.add(c);
  }
  for (const name of MEASURE_COLUMNS) {
    if (!seen.has(name)) throw tableError(file, row, name, 'missing');
  }
  const video = columns.indexOf('video');
  MEASURE_COLUMNS.forEach((name, i) => {
    if (columns[video + i] !== name) {
      throw tableError(file, row, name, `out of place: the columns after the knobs are ${MEASURE_COLUMNS.join(', ')}, in this order`);
    }
  });
  if (video === 0) throw tableError(file, row, null, 'no knob columns before video', 'a replay table has a column per knob (its name) first');
  for (const knob of columns.slice(0, video)) {
    if (!KNOB_NAME.test(knob)) {
      throw tableError(file, row, knob || '(empty)', 'not a knob name (knob columns are environment variable names, e.g. IMG_SIZE)');
    }
  }
  const extras: Layout['extras'] = [];
  columns.slice(video + MEASURE_COLUMNS.length).forEach((name, i) => {
    if (!(EXTRA_COLUMNS as readonly string[]).includes(name)) {
      throw tableError(file, row, name || '(empty)', `not a column of the replay format (after failed: ${EXTRA_COLUMNS.join(', ')})`);
    }
    extras.push({ name: name as ExtraColumn, index: video + MEASURE_COLUMNS.length + i });
  });
  return { video, extras };
}

function readRow(cells: string[], row: number, columns: string[], layout: Layout, file: string): ReplayRow {
  if (cells.length !== columns.length) {
    throw tableError(file, row, null, `${cells.length} cells, but the header has ${columns.length} columns`);
  }
  const at = (name: string) => cells[columns.indexOf(name)]!;
  const fail = (column: string, what: string) => tableError(file, row, column, what);
  const number = (column: string, range?: [number, number]): number | null => {
    const value = parseNumberCell(at(column).trim());
    if (value === undefined) throw fail(column, `${JSON.stringify(at(column))} is not a number`);
    if (value !== null && range && (value < range[0] || value > range[1])) throw fail(column, `${value} is outside ${range[0]}..${range[1]}`);
    return value;
  };

  const video = at('video').trim();
  if (video === '') throw fail('video', 'empty (name the video the challenge ran on)');
  const repeat = number('repeat');
  if (repeat === null || !Number.isInteger(repeat) || repeat < 1) throw fail('repeat', `${JSON.stringify(at('repeat'))} is not a whole number >= 1`);
  const failedCell = at('failed').trim();
  if (failedCell !== '0' && failedCell !== '1') throw fail('failed', `${JSON.stringify(at('failed'))} is not 0 or 1`);
  const failed = failedCell === '1';
  const total = number('total_s', [0, Number.MAX_VALUE]);
  if (total === null && !failed) throw fail('total_s', 'empty, but the challenge did not fail (failed is 0)');
  const extra = (name: ExtraColumn) => (layout.extras.some((e) => e.name === name) ? at(name) : '');
  const reason = extra('reason').trim();
  return {
    row,
    cells: cells.slice(0, layout.video).map((c) => c.trim()),
    video,
    repeat,
    total,
    accuracy: number('accuracy', [0, 1]),
    coverage: number('coverage', [0, 1]),
    failed,
    phase: extra('phase').trim(),
    reason: reason === '' ? null : reason,
    sn44Quality: layout.extras.some((e) => e.name === 'sn44_quality') ? number('sn44_quality') : null,
  };
}
