// The search layer's vocabulary: knobs, their values, configs and spaces. Everything above search
// (the pipeline, the evaluators, the store) speaks of configs in these terms.

/** A knob's value: numbers (booleans as 0/1, as miners read them from the environment) or strings. */
export type KnobValue = number | string | boolean;
/** Environment-variable name of a knob -> its value. */
export type Config = Record<string, KnobValue>;
/** The knob names something understands, or 'any' when it takes every name (a miner's environment). */
export type KnobNames = readonly string[] | 'any';

export type ParamType = 'bool' | 'int' | 'float' | 'categorical';

/** Capabilities a knob can require; a knob whose capability the host lacks is pinned off. */
export const CAPABILITIES = ['nvdec', 'cuda'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * One searched knob. Values in configs are numbers (booleans are 0/1, as miners read them from the
 * environment) or strings (categorical choices only).
 */
export interface ParamSpec {
  /** Environment-variable name, e.g. `IMG_SIZE`. */
  name: string;
  type: ParamType;
  /** int/float: inclusive bounds. */
  low?: number;
  high?: number;
  /** int (default 1) / float (optional): values are low + k*step. */
  step?: number;
  /** int/float: sample on a log scale (needs low > 0; not with a float step or an int step > 1). */
  log?: boolean;
  /** categorical: the values; bool params get [0, 1]. */
  choices?: KnobValue[];
  /** Active only when every named knob has (one of) the given value(s). */
  when?: Record<string, KnobValue | KnobValue[]>;
  /** Host capabilities the knob needs (see CAPABILITIES). */
  requires?: string[];
  /** Value used to fill baselines/the reference, and the pinned value when a capability is absent. */
  default?: KnobValue;
  /** One-line explanation from the space file, for reports. */
  description?: string;
}

export interface Space {
  name: string;
  /** The file it was read from (or the label given to parseSpace). */
  file: string;
  description?: string;
  /** Searched knobs, in file order. */
  params: ParamSpec[];
  /** Knobs set in every trial but not searched. */
  fixed: Config;
  /** The config whose answers are the accuracy reference (complete; may lie outside the ranges). */
  reference: Config;
  /** Named presets measured first in every study (complete configs inside the space). */
  baselines: { name: string; config: Config }[];
}
