import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { openStudy } from '../../src/study/open.js';

describe('resuming a study', () => {
  const spec = (settings: Record<string, unknown>, requireReproducible = false) => ({
    name: 's',
    spaceFile: 'a.yaml',
    space: {},
    objective: { kind: 'fastest-safe' as const, accuracyFloor: 0.98, tMin: 2, ...(requireReproducible ? { requireReproducible } : {}) },
    settings,
    host: {},
  });

  it('refuses another evaluator or another reproducibility rule, whose figures would not compare', () => {
    const storage = openStorage(join(mkdtempSync(join(tmpdir(), 'open-')), 'a.db'));
    try {
      openStudy(storage, spec({}));
      expect(openStudy(storage, spec({ evaluator: { kind: 'pipeline' } })).resumed).toBe(true);
      expect(() => openStudy(storage, spec({ evaluator: { kind: 'miner' } }))).toThrow(/study "s" was measured by the pipeline evaluator, not the miner one/);
      expect(() => openStudy(storage, spec({}, true))).toThrow(/created with objective fastest-safe \(accuracy floor 0\.98\), not fastest-safe \(accuracy floor 0\.98\), answers reproducible across repeats/);
    } finally {
      storage.close();
    }
  });
});
