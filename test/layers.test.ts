// The layer check itself (`npm run layers`, run by `npm test` before the tests): the cruiser with the
// project's config, on small source trees made here, fails on each kind of forbidden import and
// passes a tree whose imports all run down.
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cruiser = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

/** A project folder with the given files (path -> source) beside a copy of the real tsconfig. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'autotune-layers-'));
  copyFileSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return dir;
}

const cruise = (dir: string) => execa('node', [cruiser, 'src', '--config', config], { cwd: dir, reject: false });

const base = {
  'src/errors.ts': 'export class AutotuneError extends Error {}\n',
  'src/util/format.ts': "import { AutotuneError } from '../errors.js';\nexport const e = AutotuneError;\n",
  'src/search/space.ts': "import { e } from '../util/format.js';\nexport type Config = Record<string, number>;\nexport const f = e;\n",
  'src/pipeline/types.ts': "import type { Config } from '../search/space.js';\nexport type Run = Config;\n",
  'src/store/types.ts': "import type { Run } from '../pipeline/types.js';\nexport type Stored = Run;\n",
  'src/cli/main.ts': "import type { Stored } from '../store/types.js';\nexport const main = (s: Stored) => s;\n",
};

describe('the layer check', () => {
  it('passes a tree whose imports all run down the layers', async () => {
    const run = await cruise(tree(base));
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/no dependency violations found \(6 modules/);
  });

  it.each([
    ['a type-only import up (search -> pipeline)', { 'src/search/space.ts': "import type { Run } from '../pipeline/types.js';\nexport type Config = Run;\n" }, /no-upward-import-from-lab-score-search: src\/search\/space\.ts → src\/pipeline\/types\.ts/],
    ['a dynamic import up (util -> cli)', { 'src/util/lazy.ts': "export const load = () => import('../cli/main.js');\n" }, /no-upward-import-from-util-errors: src\/util\/lazy\.ts → src\/cli\/main\.ts/],
    ['the store reaching into the study', { 'src/study/open.ts': 'export const open = 1;\n', 'src/store/types.ts': "import { open } from '../study/open.js';\nexport const o = open;\n" }, /no-upward-import-from-net-store-report-replay: src\/store\/types\.ts → src\/study\/open\.ts/],
    ['src importing a test helper', { 'test/helper.ts': 'export const h = 1;\n', 'src/pipeline/x.ts': "import { h } from '../../test/helper.js';\nexport const x = h;\n" }, /no-import-of-scripts-or-tests: src\/pipeline\/x\.ts → test\/helper\.ts/],
    ['a folder outside the layer order', { 'src/gadgets/a.ts': 'export const a = 1;\n' }, /no-unplaced-orphan: src\/gadgets\/a\.ts/],
  ])('fails on %s', async (_what, files, violation) => {
    const run = await cruise(tree({ ...base, ...files }));
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(violation);
  });
});
