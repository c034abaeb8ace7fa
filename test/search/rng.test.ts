import { describe, expect, it } from 'vitest';
import { createRng, hash32 } from '../../src/search/index.js';

const draws = (seed: number, ...streams: number[]) => {
  const rng = createRng(seed, ...streams);
  return Array.from({ length: 8 }, () => rng.next());
};

describe('createRng', () => {
  it('repeats a stream for the same seed and stream ids, and differs otherwise', () => {
    expect(draws(42, 7)).toEqual(draws(42, 7));
    expect(draws(42, 7)).not.toEqual(draws(42, 8));
    expect(draws(42, 7)).not.toEqual(draws(43, 7));
    expect(draws(2 ** 40 + 1)).not.toEqual(draws(1));
    expect(hash32(1, 2)).not.toBe(hash32(2, 1));
  });

  it('draws uniformly in [0, 1) and normals with mean 0 and variance 1', () => {
    const rng = createRng(5);
    const u = Array.from({ length: 20000 }, () => rng.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const mean = u.reduce((a, b) => a + b, 0) / u.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const z = Array.from({ length: 20000 }, () => rng.normal());
    const zm = z.reduce((a, b) => a + b, 0) / z.length;
    const zv = z.reduce((a, b) => a + (b - zm) ** 2, 0) / z.length;
    expect(Math.abs(zm)).toBeLessThan(0.03);
    expect(Math.abs(zv - 1)).toBeLessThan(0.05);
  });

  it('shuffles into a permutation and picks by weight', () => {
    const rng = createRng(9);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle(items);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    const counts = [0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[rng.weighted([1, 0, 2])]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(1.8);
    expect(counts[2] / counts[0]).toBeLessThan(2.2);
  });
});
