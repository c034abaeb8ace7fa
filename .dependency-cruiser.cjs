// The layer check (`npm run layers`, part of `npm test`): src/ is built in layers, bottom first, and
// no import runs up them. Folders of one layer may import each other; a new folder of src/ must be
// placed in LAYERS (and in the README's layout section) before anything in it is accepted.
// scripts/ and test/ may import anything; src/ never imports from them.

/** Bottom first. `errors` is the file src/errors.ts; every other name is a folder of src/. */
const LAYERS = [
  ['util', 'errors'],
  ['lab', 'score', 'search'],
  ['pipeline'],
  ['net', 'store', 'report'],
  ['study', 'host'],
  ['emit'],
  ['apply', 'miner', 'demo'],
  ['cli'],
];

const unit = (name) => (name === 'errors' ? 'errors\\.ts$' : `${name}/`);
const anyOf = (names) => `^src/(${names.map(unit).join('|')})`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-import-from-${layer.join('-')}`,
  comment: `${layer.join(', ')} must not import a higher layer (${LAYERS.slice(i + 1).flat().join(', ')})`,
  severity: 'error',
  from: { path: anyOf(layer) },
  to: { path: anyOf(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-unplaced-source',
      comment: 'every file of src/ lives in a layer of LAYERS (.dependency-cruiser.cjs): place a new folder there first',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'no-unplaced-orphan',
      comment: 'every file of src/ lives in a layer of LAYERS (.dependency-cruiser.cjs): place a new folder there first',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(LAYERS.flat()), orphan: true },
      to: {},
    },
    {
      name: 'no-import-of-unplaced-source',
      comment: 'every file of src/ lives in a layer of LAYERS (.dependency-cruiser.cjs): place a new folder there first',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: anyOf(LAYERS.flat()) },
    },
    {
      name: 'no-import-of-scripts-or-tests',
      comment: 'src/ is the product: it never imports the benchmark scripts or the tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(scripts|test)/' },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for the cruiser; swc parses the sources, type-only imports included.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
