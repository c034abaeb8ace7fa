// What the commands write to stdout besides text tables (those are in src/util/format.ts).

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
