// Figures and tables as plain text: aligned columns and values with units, for terminals and files.

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
  /** A column that may be hidden to fit a terminal: the lowest numbers go first. Without it, always shown. */
  dropOrder?: number;
}

/** Renders rows as an aligned plain-text table (header, rule, rows). */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  return fitTable(rows, columns).text;
}

export interface FittedTable {
  text: string;
  /** Headers of the columns hidden to fit the width, in table order. */
  hidden: string[];
  /** The last column's header when its text went on the lines under each row. */
  under: string | null;
}

/** Indent of the last column's text when it goes on its own lines under each row. */
const UNDER_INDENT = 6;

/**
 * The table as formatTable renders it when it fits in `width` (or no width is given: a pipe, a file).
 * Else the last column (the long free text) goes on its own indented lines under each row, wrapped at
 * spaces, and optional columns are hidden, lowest dropOrder first, until the rest fits.
 */
export function fitTable<T>(rows: readonly T[], columns: readonly Column<T>[], width?: number): FittedTable {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const span = (shown: readonly number[]) => shown.reduce((sum, i) => sum + widths[i]!, 0) + 2 * Math.max(0, shown.length - 1);
  const all = columns.map((_, i) => i);
  const line = (shown: readonly number[], values: (i: number) => string) =>
    shown
      .map((i) => (columns[i]!.align === 'right' ? values(i).padStart(widths[i]!) : values(i).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const render = (shown: readonly number[], under: number | null) => {
    const lines = [line(shown, (i) => columns[i]!.header), line(shown, (i) => '-'.repeat(widths[i]!))];
    cells.forEach((row) => {
      lines.push(line(shown, (i) => row[i]!));
      if (under !== null && row[under]) {
        for (const part of wrapWords(row[under]!, Math.max(20, width! - UNDER_INDENT))) lines.push(`${' '.repeat(UNDER_INDENT)}${part}`);
      }
    });
    return lines.join('\n');
  };
  if (width === undefined || span(all) <= width || columns.length < 2) return { text: render(all, null), hidden: [], under: null };

  const last = columns.length - 1;
  let shown = all.slice(0, last);
  const droppable = shown.filter((i) => columns[i]!.dropOrder !== undefined).sort((a, b) => columns[a]!.dropOrder! - columns[b]!.dropOrder!);
  for (const i of droppable) {
    if (span(shown) <= width) break;
    shown = shown.filter((j) => j !== i);
  }
  const hidden = all.filter((i) => i !== last && !shown.includes(i)).map((i) => columns[i]!.header);
  return { text: render(shown, last), hidden, under: columns[last]!.header };
}

/**
 * Splits text at spaces into lines of at most `width` characters. A word longer than that stays whole,
 * and so does a [bracketed note].
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.match(/\[[^\]]*\]|\S+/g) ?? []) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

export function seconds(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(digits)}s`;
}

export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : `${(value * 100).toFixed(digits)}%`;
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(2)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

/** "1 challenge", "3 challenges": a count with its noun (plural by an added s). */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

/** A video's short name for tables and one-line reasons: the last segment of its URL's path, without a query (a signed URL's signature); a name that is not a URL as it is. */
export function videoName(video: string): string {
  try {
    return new URL(video).pathname.split('/').pop() || video;
  } catch {
    return video.split('/').pop() || video;
  }
}
