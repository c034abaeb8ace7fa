// How a miner is restarted with new environment values: pm2, or a command of the user's (a Docker
// container). The spec is what a recovery manifest stores to restart it again after a crash.

export type RestartSpec = { kind: 'pm2'; name: string } | { kind: 'command'; argv: string[] };

export interface Restarter {
  readonly spec: RestartSpec;
  /** For messages: "pm2 process sn44-miner". */
  readonly label: string;
  /** Refuses (E_PM2...) a miner it cannot restart, before anything changes. */
  check?(): Promise<void>;
  /** The running process's values of these variables where known (pm2: its environment), else none. */
  currentValues(keys: readonly string[]): Promise<Record<string, string>>;
  /** Starts the restart with `values` in the miner's environment; `afterFailure` ends a crash loop first. */
  restart(values: Record<string, string>, options: { timeoutMs: number; afterFailure?: boolean }): Promise<void>;
  /** Resolves when the restarted process runs with `values` (pm2: online with them); throws when it cannot. */
  confirm(values: Record<string, string>, timeoutMs: number): Promise<void>;
  /** Null while the process the last restart started still runs; otherwise why not. */
  stopped(): Promise<string | null>;
  /** The miner's last log lines, one string ('' when there are none). */
  lastLogLines(): Promise<string>;
  close(): Promise<void>;
}

/** The last `count` distinct lines of a log (a crash loop repeats itself), joined with " | ". */
export function tailLines(text: string, count = 5): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter(Boolean);
  const collapsed: string[] = [];
  for (const line of lines) if (collapsed.at(-1) !== line) collapsed.push(line);
  const distinct = [...new Set(collapsed.slice().reverse())].slice(0, count).reverse();
  return distinct.join(' | ');
}
