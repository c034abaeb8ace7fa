// What the commands write to stdout besides text tables (those are in src/util/format.ts).

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A flag's value as a message shows it: yargs reads a number flag that is not a number as NaN, and
 * a flag given twice as both values.
 */
export function givenValue(value: unknown): string {
  if (Array.isArray(value)) return `${value.map(givenValue).join(' and ')} (the flag is given ${value.length} times: give it once)`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'something that is not a number';
  return String(value);
}

/** The terminal's width for tables that fit it; none for a pipe or a file (or with --wide): every column, one line per row. */
export function terminalWidth(wide = false, stream: NodeJS.WriteStream = process.stdout): number | undefined {
  return !wide && stream.isTTY && stream.columns > 0 ? stream.columns : undefined;
}
