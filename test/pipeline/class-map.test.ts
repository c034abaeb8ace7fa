import { describe, expect, it } from 'vitest';
import { classMapKey, parseClassMap } from '../../src/pipeline/infer/class-map.js';

describe('parseClassMap', () => {
  it('reads MODEL_ID=CLASS pairs with SN44 class names or ids', () => {
    expect(parseClassMap('0=player, 1=goalkeeper,2=referee,32=ball')).toEqual({ 0: 2, 1: 1, 2: 3, 32: 0 });
    expect(parseClassMap('5=2,7=0')).toEqual({ 5: 2, 7: 0 });
  });

  it('refuses malformed entries, unknown classes and a model class mapped twice, naming the entry', () => {
    expect(() => parseClassMap('')).toThrow(/no MODEL_ID=CLASS pair/);
    expect(() => parseClassMap('player=0')).toThrow(/"player=0": not MODEL_ID=CLASS/);
    expect(() => parseClassMap('0=coach')).toThrow(/unknown SN44 class coach/);
    expect(() => parseClassMap('0=4')).toThrow(/unknown SN44 class 4/);
    expect(() => parseClassMap('0=ball,0=player')).toThrow(/model class 0 is mapped twice/);
  });

  it('has a stable key for caches, whatever the order of the entries', () => {
    expect(classMapKey(parseClassMap('32=ball,0=player'))).toBe(classMapKey(parseClassMap('0=player,32=ball')));
    expect(classMapKey(undefined)).toBe('identity');
  });
});
