import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutotuneError } from '../../src/errors.js';
import { BUILT_IN_SPACES_DIR, loadSpace, parseSpace, resolveSpaceSource } from '../../src/search/index.js';

const PARAMS = `
  A: { type: int, low: 1, high: 8, default: 2 }
  B: { type: bool, default: 0 }
  C: { type: float, low: 0.1, high: 1.0, log: true, when: { B: 1 }, default: 0.5 }
  D: { type: categorical, choices: [x, y], default: x }`;

/** A valid file with one section replaced. */
function file(parts: { params?: string; fixed?: string; reference?: string; baselines?: string; extra?: string } = {}): string {
  return [
    'name: t',
    parts.extra ?? '',
    `params:${parts.params ?? PARAMS}`,
    `fixed: ${parts.fixed ?? '{ K: 1 }'}`,
    `reference: ${parts.reference ?? '{ A: 8, B: 0, D: x }'}`,
    `baselines:${parts.baselines ?? '\n  base: { A: 2 }'}`,
  ].join('\n');
}

function errorOfLoad(path: string): AutotuneError {
  try {
    loadSpace(path);
  } catch (err) {
    expect(err).toBeInstanceOf(AutotuneError);
    return err as AutotuneError;
  }
  throw new Error('expected loadSpace to throw');
}

function errorOf(text: string): AutotuneError {
  try {
    parseSpace(text, 'spaces/bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(AutotuneError);
    return err as AutotuneError;
  }
  throw new Error('expected parseSpace to throw');
}

const cases: [string, string, string[]][] = [
  ['YAML syntax', 'params:\n  A: { type: int\nreference: {}', ['spaces/bad.yaml:3:1', 'not valid YAML']],
  ['duplicate key', file({ params: `${PARAMS}\n  A: { type: bool }` }), ['spaces/bad.yaml:', 'not valid YAML', 'unique']],
  ['not a mapping', '- 1\n- 2', ['spaces/bad.yaml', 'expected a mapping']],
  ['unknown top-level key', file({ extra: 'paramz: {}' }), ['spaces/bad.yaml:2', 'paramz: unknown key', 'allowed keys here: name, description, params']],
  ['missing reference', 'params:\n  A: { type: bool }\n', ['reference: missing']],
  ['no params', file({ params: ' {}' }), ['params: no params']],
  ['knob name', file({ params: `${PARAMS}\n  img_size: { type: bool }` }), ['params.img_size', '"img_size" is not an environment variable name']],
  ['param not a mapping', file({ params: `${PARAMS}\n  E: 5` }), ['params.E', 'expected a mapping', 'got 5']],
  ['missing type', file({ params: `${PARAMS}\n  E: { low: 1, high: 2 }` }), ['params.E.type: missing']],
  ['bad type', file({ params: `${PARAMS}\n  E: { type: integer, low: 1, high: 2 }` }), ['params.E.type', '"integer" is not a param type']],
  ['unknown param key', file({ params: `${PARAMS}\n  E: { type: int, lwo: 1, low: 1, high: 2 }` }), ['params.E.lwo: unknown key', 'allowed keys here']],
  ['wrong value type', file({ params: `${PARAMS}\n  E: { type: int, low: "abc", high: 2 }` }), ['params.E.low', 'expected number, got "abc"']],
  ['non-integer int bound', file({ params: `${PARAMS}\n  E: { type: int, low: 1.5, high: 2 }` }), ['params.E.low', '1.5']],
  ['low > high', file({ params: `${PARAMS}\n  E: { type: int, low: 9, high: 2 }` }), ['spaces/bad.yaml:', 'params.E.low', 'low (9) is greater than high (2)']],
  ['step not dividing', file({ params: `${PARAMS}\n  E: { type: int, low: 320, high: 960, step: 30 }` }), ['params.E.step', 'step (30) does not divide high - low (960 - 320)']],
  ['float step not dividing', file({ params: `${PARAMS}\n  E: { type: float, low: 0.1, high: 0.7, step: 0.25 }` }), ['params.E.step', 'step (0.25)']],
  ['log with low <= 0', file({ params: `${PARAMS}\n  E: { type: float, low: 0, high: 1, log: true }` }), ['params.E.low', 'log scale needs low > 0, got 0']],
  ['log with step', file({ params: `${PARAMS}\n  E: { type: float, low: 0.1, high: 1.1, step: 0.5, log: true }` }), ['params.E.step', 'cannot be combined with log']],
  ['empty choices', file({ params: `${PARAMS}\n  E: { type: categorical, choices: [] }` }), ['params.E.choices', 'must not be empty']],
  ['duplicate choice', file({ params: `${PARAMS}\n  E: { type: categorical, choices: [1, 2, 1] }` }), ['params.E.choices.2', '1 is listed twice']],
  ['default outside', file({ params: `${PARAMS}\n  E: { type: int, low: 1, high: 4, default: 7 }` }), ['params.E.default', '7 is outside 1..4']],
  ['default off step', file({ params: `${PARAMS}\n  E: { type: int, low: 320, high: 960, step: 32, default: 400 }` }), ['params.E.default', '400 is not on the step grid']],
  ['unknown capability', file({ params: `${PARAMS}\n  E: { type: bool, requires: [tpu] }` }), ['params.E.requires.0', 'unknown capability "tpu"']],
  ['requires without default', file({ params: `${PARAMS}\n  E: { type: int, low: 1, high: 4, requires: [cuda] }` }), ['params.E.default', 'needs a default']],
  ['condition on unknown knob', file({ params: `${PARAMS}\n  E: { type: bool, when: { STREAMING: 1 } }` }), ['params.E.when.STREAMING', 'unknown knob "STREAMING"', 'A, B, C, D, E, K']],
  ['condition value impossible', file({ params: `${PARAMS}\n  E: { type: bool, when: { A: 12 } }` }), ['params.E.when.A', 'A can never be 12', '12 is outside 1..8']],
  ['condition never true', file({ params: `${PARAMS}\n  E: { type: bool, when: { K: [0, 2] } }` }), ['params.E.when.K', 'K is fixed to 1, so E would never be searched']],
  ['condition on itself', file({ params: `${PARAMS}\n  E: { type: bool, when: { E: 1 } }` }), ['params.E.when.E', 'cannot depend on itself']],
  ['condition cycle', file({ params: `${PARAMS}\n  E: { type: bool, when: { F: 1 } }\n  F: { type: bool, when: { E: 1 } }` }), ['spaces/bad.yaml:8: params.E.when: the conditions form a cycle']],
  ['fixed also searched', file({ fixed: '{ A: 3 }' }), ['fixed.A', 'both searched (params) and fixed']],
  ['fixed bad name', file({ fixed: '{ "bad-name": 3 }' }), ['fixed.bad-name', 'not an environment variable name']],
  ['fixed not a value', file({ fixed: '{ K: [1, 2] }' }), ['fixed.K', '[1,2]']],
  ['reference unknown knob', file({ reference: '{ A: 8, B: 0, D: x, IMGSIZE: 640 }' }), ['reference.IMGSIZE', 'unknown knob "IMGSIZE"', 'A, B, C, D, K']],
  ['reference missing value', file({ params: `${PARAMS}\n  E: { type: int, low: 1, high: 4 }` }), ['reference.E', 'no value, and the param has no default']],
  ['reference wrong type', file({ reference: '{ A: "big", B: 0, D: x }' }), ['reference.A', '"big" is not a number']],
  ['baseline outside the space', file({ baselines: '\n  QUICK: { A: 16 }' }), ['spaces/bad.yaml:', 'baselines.QUICK.A', '16 is outside 1..8']],
  ['baseline categorical outside', file({ baselines: '\n  QUICK: { D: z }' }), ['baselines.QUICK.D', '"z" is not one of "x", "y"']],
  ['baseline changes a fixed knob', file({ baselines: '\n  QUICK: { K: 2 }' }), ['baselines.QUICK.K', '2 differs from the fixed value 1']],
  ['baseline unknown knob', file({ baselines: '\n  QUICK: { Z: 2 }' }), ['baselines.QUICK.Z', 'unknown knob "Z"']],
  ['baseline not a mapping', file({ baselines: '\n  QUICK: 3' }), ['baselines.QUICK', 'expected a mapping, got 3']],
];

describe('parseSpace errors', () => {
  it.each(cases)('%s', (_name, text, expected) => {
    const err = errorOf(text);
    expect(err.code).toBe('E_SPACE_INVALID');
    expect(err.message).toContain('spaces/bad.yaml');
    for (const part of expected) expect(err.message + ' (' + (err.hint ?? '') + ')').toContain(part);
    expect(err.hint).toBeTruthy();
    expect(err.exitCode).toBe(2);
  });

  it('accepts the valid base file the cases start from', () => {
    const space = parseSpace(file(), 'spaces/ok.yaml');
    expect(space.params.map((p) => p.name)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('names the line of the offending key', () => {
    const err = errorOf(file({ params: `${PARAMS}\n  E: { type: int, low: 9, high: 2 }` }));
    expect(err.message).toMatch(/^spaces\/bad\.yaml:8: params\.E\.low:/);
  });

  it('reports a missing file with E_NOT_FOUND and the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'space-'));
    expect(() => loadSpace(join(dir, 'nope.yaml'))).toThrow(/nope\.yaml cannot be read/);
    expect(errorOfLoad(join(dir, 'nope.yaml')).hint).toBe('pass --space with a YAML file of yours, or a built-in space: quick, sn44');
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, file({ baselines: '\n  QUICK: { A: 16 }' }));
    expect(() => loadSpace(path)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: baselines\\.QUICK\\.A`));
  });

  it('checks the knob names against the ones the evaluator understands, naming the nearest', () => {
    const known = { knobs: ['A', 'B', 'C', 'D', 'K', 'IMG_SIZE'], evaluator: 'the test evaluator' };
    expect(parseSpace(file(), 'spaces/ok.yaml', known).params).toHaveLength(4);
    const check = (text: string) => {
      try {
        parseSpace(text, 'spaces/bad.yaml', known);
      } catch (err) {
        return err as AutotuneError;
      }
      throw new Error('expected parseSpace to throw');
    };
    const typo = check(file({ params: `${PARAMS}\n  IMG_SIZ: { type: int, low: 1, high: 2 }` }));
    expect(typo.code).toBe('E_SPACE_INVALID');
    expect(typo.message).toBe('spaces/bad.yaml:8: params.IMG_SIZ: unknown knob "IMG_SIZ", did you mean IMG_SIZE?');
    expect(typo.hint).toBe('the test evaluator understands A, B, C, D, K, IMG_SIZE; fix the name or remove the knob');
    const fixed = check(file({ fixed: '{ K: 1, WALLET: 3 }' }));
    expect(fixed.message).toBe('spaces/bad.yaml:8: fixed.WALLET: unknown knob "WALLET"');
    // An evaluator that takes any knob (a miner's environment) accepts both.
    expect(parseSpace(file({ fixed: '{ K: 1, WALLET: 3 }' }), 'spaces/any.yaml', { knobs: 'any' }).fixed).toEqual({ K: 1, WALLET: 3 });
  });

  it('reads a built-in space by name from any folder; a file that exists wins', () => {
    const quick = join(BUILT_IN_SPACES_DIR, 'quick.yaml');
    // None of these exists relative to the folder the tests run in.
    for (const arg of ['quick', 'quick.yaml', './quick.yaml']) {
      expect(resolveSpaceSource(arg), arg).toEqual({ path: quick, label: 'search-spaces/quick.yaml' });
    }
    expect(loadSpace('sn44')).toMatchObject({ name: 'sn44', file: 'search-spaces/sn44.yaml' });
    // A file of the user's, even one named like a built-in space, is read as given.
    const dir = mkdtempSync(join(tmpdir(), 'space-'));
    const own = join(dir, 'quick.yaml');
    writeFileSync(own, file());
    expect(resolveSpaceSource(own)).toEqual({ path: own, label: own });
    expect(loadSpace(own)).toMatchObject({ name: 't', file: own });
    // Only a bare name, or one under search-spaces/, names a built-in space.
    expect(resolveSpaceSource(join(dir, 'sn44.yaml')).path).toBe(join(dir, 'sn44.yaml'));
    expect(resolveSpaceSource('other/sn44.yaml').path).toBe('other/sn44.yaml');
    expect(errorOfLoad('sn45').message).toMatch(/^search space file sn45 cannot be read/);
  });
});
