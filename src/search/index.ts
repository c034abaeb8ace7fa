// Search spaces and samplers: the public surface used by the study runner and the CLI.
export type { Capability, Config, KnobNames, KnobValue, ParamSpec, ParamType, Space } from './space/types.js';
export { CAPABILITIES } from './space/types.js';
export { loadSpace, parseSpace, type SpaceCheck } from './space/parse.js';
export { BUILT_IN_SPACES_DIR, builtInSpaceNames, resolveSpaceSource, type SpaceSource } from './space/source.js';
export { completeConfig, configKey, contains, isActive, knownKnobs, orderedParams, searchKey } from './space/config.js';
export type { CompleteOptions } from './space/config.js';
export { offValue, pinParams, restrictToCapabilities, type DroppedParam, type Pin } from './space/capabilities.js';
export { gridPoint, gridSize } from './space/grid.js';
export { GRID_FLOAT_POINTS, GRID_LOG_INT_POINTS, normalizeValue, valueProblem } from './space/values.js';
export { createRng, hash32, type Rng } from './rng.js';
export { createSampler, type SamplerOptions } from './samplers/index.js';
export { createGridSampler } from './samplers/grid.js';
export { createRandomSampler } from './samplers/random.js';
export { createTpeSampler, type TpeOptions } from './samplers/tpe/index.js';
export {
  SAMPLER_NAMES,
  type AskContext,
  type Direction,
  type Sampler,
  type SamplerName,
  type TrialSummary,
} from './samplers/types.js';
