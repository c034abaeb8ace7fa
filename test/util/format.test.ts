import { describe, expect, it } from 'vitest';
import { count } from '../../src/util/format.js';

describe('count', () => {
  it('writes the noun singular for one, plural otherwise', () => {
    expect([0, 1, 2].map((n) => count(n, 'challenge'))).toEqual(['0 challenges', '1 challenge', '2 challenges']);
  });
});
