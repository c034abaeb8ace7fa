// Grid search: every point of the space's grid (see space/grid.ts; floats without a step get
// GRID_FLOAT_POINTS values) in an order shuffled by the seed, skipping configs already tried.
// When nothing is left it returns null.
import type { Config, Space } from '../space/types.js';
import { createRng } from '../rng.js';
import { searchKey } from '../space/config.js';
import { gridPoint, gridSize } from '../space/grid.js';
import { triedKeys } from './history.js';
import type { AskContext, Sampler } from './types.js';

/** Up to this many points the order is a true shuffle; above it an affine permutation of the indices. */
const SHUFFLE_LIMIT = 1 << 16;
const GRID_STREAM = 0x47524944;

export function createGridSampler(): Sampler {
  return {
    name: 'grid',
    ask(ctx: AskContext): Config | null {
      const { space } = ctx;
      const tried = triedKeys(space, ctx.history);
      const order = gridOrder(space, ctx.seed);
      const n = gridSize(space);
      for (let i = 0; i < n; i++) {
        const config = gridPoint(space, order(i));
        if (!tried.has(searchKey(space, config))) return config;
      }
      return null;
    },
  };
}

const shuffles = new WeakMap<Space, Map<number, number[]>>();

/** The seed's visiting order: position -> grid index, a permutation of 0..gridSize-1. */
export function gridOrder(space: Space, seed: number): (position: number) => number {
  const n = gridSize(space);
  if (n <= SHUFFLE_LIMIT) {
    let bySeed = shuffles.get(space);
    if (!bySeed) shuffles.set(space, (bySeed = new Map()));
    let perm = bySeed.get(seed);
    if (!perm) {
      perm = createRng(seed, GRID_STREAM).shuffle(Array.from({ length: n }, (_, i) => i));
      bySeed.set(seed, perm);
    }
    const p = perm;
    return (i) => p[i];
  }
  // i -> (a*i + b) mod n with gcd(a, n) = 1 is a bijection; BigInt keeps it exact beyond 2^53.
  const rng = createRng(seed, GRID_STREAM);
  const N = BigInt(n);
  let a = BigInt(Math.floor(rng.next() * Math.min(n, 2 ** 52))) | 1n;
  while (gcd(a, N) !== 1n) a += 2n;
  const b = BigInt(Math.floor(rng.next() * Math.min(n, 2 ** 52)));
  return (i) => Number((a * BigInt(i) + b) % N);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
