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

  it('refuses another evaluator or another reproducibility rule, whose figures would not compare', async () => {
    const storage = await openStorage(join(mkdtempSync(join(tmpdir(), 'open-')), 'a.db'));
    try {
      // A study that recorded no evaluator was measured by the pipeline.
      await openStudy(storage, spec({}));
      expect((await openStudy(storage, spec({ evaluator: 'the built-in pipeline' }))).resumed).toBe(true);
      await expect(openStudy(storage, spec({ evaluator: 'a running miner' }))).rejects.toThrow(
        /study "s" was measured by the built-in pipeline, not a running miner/,
      );
      await expect(openStudy(storage, spec({}, true))).rejects.toThrow(
        /created with objective fastest-safe \(accuracy floor 0\.98\), not fastest-safe \(accuracy floor 0\.98\), answers reproducible across repeats/,
      );
    } finally {
      await storage.close();
    }
  });
});
