// npm run bench:search on a tiny table: it runs every method for a few seeds, prints the table of
// challenges-to-5% and saves it; without python3-optuna the Optuna part is skipped with a message.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_TABLES, parseSearchBenchArgs, runSearchBench } from '../../scripts/bench-search.js';
import { OPTUNA_PYTHON, startOptuna } from '../../scripts/bench/optuna.js';
import { loadBenchTable, quantile, truthOf } from '../../scripts/bench/search-harness.js';
import { PLANTED_SPACE, writePlanted } from '../replay/fixtures/planted.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-bench-search-'));
const table = writePlanted(join(dir, 'planted.csv'));

function settings(out: string, python?: string) {
  return { ...parseSearchBenchArgs(['--table', table, '--space', PLANTED_SPACE, '--seeds', '3', '--budget', '120', '--out', out]), ...(python ? { python } : {}) };
}

async function bench(out: string, python?: string) {
  const lines: string[] = [];
  const rows = await runSearchBench(settings(out, python), (line) => lines.push(line));
  return { rows, text: lines.join('\n') };
}

const optuna = await startOptuna();
const optunaMissing = 'missing' in optuna ? optuna.missing : null;
if (!('missing' in optuna)) await optuna.close();

describe('npm run bench:search', () => {
  it("knows the table's best feasible config (all rows of a config, the objective's rule)", () => {
    const bench = loadBenchTable('planted', table, PLANTED_SPACE);
    const truth = truthOf(bench, { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 });
    expect(truth.bestConfig).toEqual({ SIZE: 480, STREAM: 1, START: 2, POOL: 1 });
    expect(truth.best).toBeCloseTo(4.8 - 0.7 + 0.025, 9);
    // 320 misses the accuracy floor: 6 of the 9 configs are feasible.
    expect(truth.feasible).toBe(6);
    expect(quantile([1, 2, Infinity, 4], 0.5)).toBe(3);
    expect(quantile([1, Infinity, Infinity], 0.5)).toBe(Infinity);
  });

  it('each built-in table covers its space and has feasible configs under both objectives, some cut by the floor', () => {
    expect(BUILT_IN_TABLES.map((t) => t.name)).toEqual(['lab-quick', 'lab-link', 'lab-mixed']);
    for (const t of BUILT_IN_TABLES) {
      const bench = loadBenchTable(t.name, t.table, t.space);
      expect(bench.videos).toHaveLength(2);
      for (const kind of ['fastest-safe', 'sn44'] as const) {
        const truth = truthOf(bench, { kind, accuracyFloor: 0.98, tMin: 2 });
        expect(truth.feasible, `${t.name} ${kind}`).toBeGreaterThan(0);
        // The accuracy floor cuts some configs under fastest-safe (sn44 has no floor).
        if (kind === 'fastest-safe') expect(truth.feasible, t.name).toBeLessThan(truth.configs);
      }
    }
  });

  it('refuses a table that does not cover its space', () => {
    const partial = writePlanted(join(dir, 'partial.csv'), (cells) => (cells[0] === '480' && cells[1] === '1' ? null : cells));
    expect(() => loadBenchTable('partial', partial, PLANTED_SPACE)).toThrow(/lacks rows for 2 of the 9 configs/);
  });

  it('without python3-optuna: runs this project\'s methods, says Optuna was skipped, prints and saves the table', async () => {
    const out = join(dir, 'no-optuna');
    const { rows, text } = await bench(out, join(dir, 'no-python3'));
    expect(text).toMatch(/Optuna skipped: .*no-python3 not found \(install python3-optuna: scripts\/install-system-deps\.sh\)/);
    const ours = ['autotune tpe', 'autotune tpe, with a control', 'autotune tpe, no racing', 'autotune random'];
    expect(rows.map((r) => `${r.objective} ${r.summary.label}`)).toEqual([...ours.map((l) => `fastest-safe ${l}`), ...ours.map((l) => `sn44 ${l}`)]);
    for (const r of rows) {
      expect(r.summary.outcomes).toHaveLength(3);
      // Every study reaches 5% of the best of 9 configs well within 120 challenges.
      expect(r.summary.hits).toBe(3);
      expect(r.summary.median).toBeGreaterThanOrEqual(6);
    }
    expect(text).toMatch(/table\s+objective\s+method\s+challenges to 5%: median\s+p80/);
    expect(text).toMatch(/planted\s+fastest-safe\s+autotune tpe\s+\d+\s+\d+\s+3\/3/);
    expect(readFileSync(join(out, 'search.md'), 'utf8')).toContain('autotune random');
    const saved = JSON.parse(readFileSync(join(out, 'search.json'), 'utf8'));
    expect(saved.rows).toHaveLength(8);
  }, 120_000);

  it.skipIf(optunaMissing !== null)(`with python3-optuna (${OPTUNA_PYTHON}): Optuna's TPE and random samplers run beside, with the ratio to Optuna's TPE`, async () => {
    const out = join(dir, 'optuna');
    const { rows, text } = await bench(out);
    expect(text).toMatch(/Optuna \d+\.\d+\.\d+ \(python3-optuna\) as the peer/);
    const each = ['autotune tpe', 'autotune tpe, with a control', 'autotune tpe, no racing', 'autotune random', 'optuna tpe', 'optuna random'];
    expect(rows.map((r) => r.summary.label)).toEqual([...each, ...each]);
    const peer = rows.find((r) => r.summary.label === 'optuna tpe')!;
    expect(peer.summary.hits).toBe(3);
    expect(rows.find((r) => r.summary.label === 'autotune tpe')!.vsOptunaTpe).toMatch(/^\d+\.\d\dx \[\d+\.\d\d, \d+\.\d\d\]$/);
    expect(existsSync(join(out, 'search.json'))).toBe(true);
  }, 180_000);
  if (optunaMissing !== null) it.skip(`Optuna part skipped: ${optunaMissing}`, () => {});
});
