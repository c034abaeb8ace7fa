// The finite grid of a space and a way to address its points by index, conditions included:
// the knobs that conditions name ("parents") are enumerated into blocks, and inside a block the
// active params form a mixed-radix number. Floats without a step get GRID_FLOAT_POINTS values.
import type { Config, KnobValue, ParamSpec, Space } from './types.js';
import { isActive, orderedParams } from './config.js';
import { gridValues } from './values.js';

interface Block {
  /** Fixed values and the parents' assignment. */
  base: Config;
  /** Active non-parent params with their grid values. */
  dims: { name: string; values: KnobValue[] }[];
  size: number;
  /** Index of the block's first point. */
  start: number;
}

interface GridPlan {
  blocks: Block[];
  size: number;
}

const plans = new WeakMap<Space, GridPlan>();

function planOf(space: Space): GridPlan {
  const cached = plans.get(space);
  if (cached) return cached;
  const ordered = orderedParams(space);
  const parentNames = new Set(ordered.flatMap((p) => Object.keys(p.when ?? {})));
  const parents = ordered.filter((p) => parentNames.has(p.name));
  const others = ordered.filter((p) => !parentNames.has(p.name));
  const bases: Config[] = [];
  const expand = (i: number, config: Config): void => {
    if (i === parents.length) {
      bases.push(config);
      return;
    }
    const p: ParamSpec = parents[i];
    if (!isActive(p, config)) return expand(i + 1, config);
    for (const v of gridValues(p)) expand(i + 1, { ...config, [p.name]: v });
  };
  expand(0, { ...space.fixed });
  let start = 0;
  const blocks = bases.map((base) => {
    const dims = others.filter((p) => isActive(p, base)).map((p) => ({ name: p.name, values: gridValues(p) }));
    const size = dims.reduce((n, d) => n * d.values.length, 1);
    const block = { base, dims, size, start };
    start += size;
    return block;
  });
  const plan = { blocks, size: start };
  plans.set(space, plan);
  return plan;
}

/** Number of distinct complete configs on the space's grid. */
export function gridSize(space: Space): number {
  return planOf(space).size;
}

/** The grid point with this index (0 <= index < gridSize), as a complete config. */
export function gridPoint(space: Space, index: number): Config {
  const { blocks, size } = planOf(space);
  if (!(index >= 0 && index < size)) throw new RangeError(`grid index ${index} outside 0..${size - 1}`);
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid].start <= index) lo = mid;
    else hi = mid - 1;
  }
  const block = blocks[lo];
  const config: Config = { ...block.base };
  let rest = index - block.start;
  for (let d = block.dims.length - 1; d >= 0; d--) {
    const dim = block.dims[d];
    config[dim.name] = dim.values[rest % dim.values.length];
    rest = Math.floor(rest / dim.values.length);
  }
  return config;
}
