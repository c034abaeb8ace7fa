// The replay table's format, the contract between `autotune export` and `--evaluator replay` (and
// anyone who makes a table by other means): docs/replay-table.md. A CSV file (RFC 4180, comma,
// header row); one row per challenge: a column per knob (the knob's name), then the measure columns
// in this order, then optional columns this project writes and reads when present.

/** The columns after the knobs, in this order, in every table. */
export const MEASURE_COLUMNS = ['video', 'repeat', 'total_s', 'accuracy', 'coverage', 'failed'] as const;

/**
 * Optional columns after the measure columns. phase: the study phase the challenge belongs to
 * (search, confirm...); reason: why a failed challenge failed; sn44_quality: the quality part of the
 * challenge's SN44 estimate (see sn44Quality), which the sn44 objective needs.
 */
export const EXTRA_COLUMNS = ['phase', 'reason', 'sn44_quality'] as const;

export type ExtraColumn = (typeof EXTRA_COLUMNS)[number];

/** One recorded challenge; `row` is its row number in the file (the header is row 1). */
export interface ReplayRow {
  row: number;
  /** The knob cells as written, in the table's knob order ('' = the knob is not set in this config). */
  cells: string[];
  video: string;
  repeat: number;
  /** Seconds; null when the challenge failed before it had a total. */
  total: number | null;
  accuracy: number | null;
  coverage: number | null;
  failed: boolean;
  /** '' when the table has no phase column. */
  phase: string;
  reason: string | null;
  sn44Quality: number | null;
}

export interface ReplayTable {
  /** The file as the user named it (messages name it). */
  file: string;
  /** The knob columns, in the table's order. */
  knobs: string[];
  /** Which optional columns the table has. */
  extras: ExtraColumn[];
  rows: ReplayRow[];
  /** The `video` values, in the order they first appear. */
  videos: string[];
}

/** A number as a table cell: the shortest text that reads back as the same number. */
export function numberCell(value: number | null): string {
  return value === null ? '' : String(value);
}
