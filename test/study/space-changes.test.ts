import { describe, expect, it } from 'vitest';
import { parseSpace } from '../../src/search/index.js';
import { referenceChanges, spaceAsRead, spaceChanges } from '../../src/study/space-changes.js';

const SPACE = `name: s
params:
  A: { type: int, low: 1, high: 8, default: 2 }
  B: { type: categorical, choices: [x, y], default: x }
fixed: { K: 1, L: 2 }
reference: { A: 4, B: y }
baselines:
  first: { A: 2, B: x }
`;
const read = (text: string) => spaceAsRead(parseSpace(text, 's.yaml'));

describe('space changes between runs of a study', () => {
  it('sees no change when the file lists the same content in another order', () => {
    const reordered = SPACE.replace('fixed: { K: 1, L: 2 }', 'fixed: { L: 2, K: 1 }').replace('reference: { A: 4, B: y }', 'reference: { B: y, A: 4 }');
    expect(referenceChanges(read(SPACE), read(reordered))).toEqual([]);
    expect(spaceChanges(read(SPACE), read(reordered))).toEqual([]);
  });

  it('names the reference knobs that changed, and each knob, fixed value and baseline edited, added or removed', () => {
    expect(referenceChanges(read(SPACE), read(SPACE.replace('reference: { A: 4, B: y }', 'reference: { A: 8, B: y }')))).toEqual(['A 8 (was 4)']);
    const edited = SPACE.replace('high: 8', 'high: 16')
      .replace('fixed: { K: 1, L: 2 }', 'fixed: { K: 3 }')
      .replace('  first: { A: 2, B: x }\n', '  second: { A: 1, B: y }\n');
    expect(spaceChanges(read(SPACE), read(edited))).toEqual(['knob A', 'fixed K', 'fixed L removed', 'baseline first removed', 'baseline second added']);
  });
});
