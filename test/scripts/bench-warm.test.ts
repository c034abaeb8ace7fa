// npm run bench:warm on the planted table: host B is derived from host A (x1.3, a small per-config
// spread, the same rows otherwise), and the cold and warm host-B studies are counted and saved.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveHost, parseWarmBenchArgs, runWarmBench } from '../../scripts/bench-warm.js';
import { PLANTED_SPACE, plantedTable, writePlanted } from '../replay/fixtures/planted.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-bench-warm-'));

describe('npm run bench:warm', () => {
  it("derives host B's table: every time x the factor within the spread, one factor per config, the other cells as they are", () => {
    const a = plantedTable().trimEnd().split('\n');
    const b = deriveHost(plantedTable(), 1.3, 0.05).trimEnd().split('\n');
    expect(b[0]).toBe(a[0]);
    expect(b).toHaveLength(a.length);
    const factors = new Map<string, Set<string>>();
    for (let i = 1; i < a.length; i++) {
      const ca = a[i]!.split(',');
      const cb = b[i]!.split(',');
      expect(cb.filter((_, j) => j !== 6)).toEqual(ca.filter((_, j) => j !== 6));
      const f = Number(cb[6]) / Number(ca[6]);
      expect(f).toBeGreaterThan(1.3 * Math.exp(-0.25));
      expect(f).toBeLessThan(1.3 * Math.exp(0.25));
      const key = ca.slice(0, 4).join(',');
      factors.set(key, (factors.get(key) ?? new Set()).add(f.toFixed(4)));
    }
    // One factor per config (rounding aside), not one per row.
    for (const set of factors.values()) expect(set.size).toBe(1);
    expect(deriveHost(plantedTable(), 1.3, 0.05)).toBe(deriveHost(plantedTable(), 1.3, 0.05));
  });

  it('counts challenges to 5% on host B cold and warm-started, prints and saves them', async () => {
    const table = writePlanted(join(dir, 'planted.csv'));
    const out = join(dir, 'out');
    const lines: string[] = [];
    const rows = await runWarmBench(parseWarmBenchArgs(['--table', table, '--space', PLANTED_SPACE, '--seeds', '3', '--source-trials', '4', '--out', out]), (l) => lines.push(l));
    expect(rows.map((r) => r.summary.label)).toEqual(['cold start', 'warm start (top 3)', 'warm start (sampler only, top 0)']);
    for (const r of rows) expect(r.summary.outcomes).toHaveLength(3);
    // The planted host B keeps host A's best config: re-measuring host A's best finds it at once
    // (the baseline's 6 challenges, then the first re-measured config's 6).
    expect(rows[1]!.summary.median).toBe(12);
    expect(rows[1]!.summary.median).toBeLessThanOrEqual(rows[0]!.summary.median);
    const text = lines.join('\n');
    expect(text).toMatch(/challenges to 5%: median/);
    expect(text).toMatch(/vs cold \[95% CI\]/);
    expect(existsSync(join(out, 'warm.md'))).toBe(true);
    const saved = JSON.parse(readFileSync(join(out, 'warm.json'), 'utf8')) as { rows: { label: string; outcomes: (number | null)[] }[]; hostB: string };
    expect(saved.rows).toHaveLength(3);
    expect(existsSync(saved.hostB)).toBe(true);
  }, 60_000);
});
