// Store throughput with several workers on one study. Usage:
//   npx tsx scripts/bench-store.ts [--trials 300] [--measurements 3] [--runs 3] [--no-fsync]
// For SQLite (a temporary file) and PostgreSQL (a throwaway cluster, as the tests start one), with
// 1, 2 and 4 worker processes: each worker claims trials, stores MEASUREMENTS search measurements, a
// heartbeat and the outcome per trial, until the study holds TRIALS. Prints trials per second (median
// and range of RUNS runs) side by side: the store's own cost per trial, which the measuring itself
// (seconds per challenge) dwarfs in a real study.

import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStorage } from '../src/store/index.js';
import { formatTable } from '../src/util/format.js';
import { createDatabase, startThrowawayCluster } from '../test/helpers/postgres-cluster.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '300' },
    measurements: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    // Without fsync on commit: what the protocol and the locks cost, apart from the disk.
    'no-fsync': { type: 'boolean', default: false },
  },
});
const trials = Number(values.trials);
const runs = Number(values.runs);
const worker = fileURLToPath(new URL('./bench-store-worker.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'autotune-bench-store-'));

async function once(location: string, workers: number): Promise<number> {
  const start = Date.now() + 2000 + 500 * workers;
  const results = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      execa('node', ['--import', 'tsx', worker, location, `w${i}`, String(trials), values.measurements!, String(start)]),
    ),
  );
  const reports = results.map((r) => JSON.parse(r.stdout) as { trials: number; start: number; end: number });
  const done = reports.reduce((sum, r) => sum + r.trials, 0);
  const store = await openStorage(location);
  const study = (await store.getStudy('bench'))!;
  const complete = (await store.listTrials(study.id)).filter((t) => t.state === 'COMPLETE').length;
  await store.close();
  if (done !== trials || complete !== trials) throw new Error(`expected ${trials} trials, workers ran ${done}, the store holds ${complete}`);
  const seconds = (Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start))) / 1000;
  return trials / seconds;
}

// By default fsync and synchronous commits on, as a production server runs (SQLite: WAL, synchronous=NORMAL).
const cluster = await startThrowawayCluster({ durable: !values['no-fsync'] });
const rows: { backend: string; workers: number; rates: number[] }[] = [];
try {
  let n = 0;
  for (const workers of [1, 2, 4]) {
    for (const backend of ['SQLite', 'PostgreSQL']) {
      const rates: number[] = [];
      for (let run = 0; run < runs; run++) {
        const location = backend === 'SQLite' ? join(dir, `bench-${n++}.db`) : await createDatabase(cluster.url, `bench_${n++}`);
        rates.push(await once(location, workers));
      }
      rows.push({ backend, workers, rates: rates.sort((a, b) => a - b) });
      process.stderr.write(`${backend} x${workers}: ${rates.map((r) => r.toFixed(0)).join(', ')} trials/s\n`);
    }
  }
} finally {
  await cluster.stop();
}
const median = (xs: number[]) => xs[Math.floor((xs.length - 1) / 2)]!;
process.stdout.write(
  `store throughput: ${trials} trials x (${values.measurements} measurements + heartbeat + outcome), ${runs} runs each, trials per second` +
    `${values['no-fsync'] ? ' (PostgreSQL without fsync)' : ''}\n\n` +
    `${formatTable(rows, [
      { header: 'workers', value: (r) => String(r.workers), align: 'right' },
      { header: 'backend', value: (r) => r.backend },
      { header: 'median', value: (r) => median(r.rates).toFixed(0), align: 'right' },
      { header: 'range', value: (r) => `${r.rates[0]!.toFixed(0)}-${r.rates.at(-1)!.toFixed(0)}`, align: 'right' },
      { header: 'ms per trial', value: (r) => (1000 / median(r.rates)).toFixed(2), align: 'right' },
    ])}\n`,
);
