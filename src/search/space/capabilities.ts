// Knobs the search cannot vary on this host or with this model are pinned: USE_NVDEC without NVDEC
// (pinned off), IMG_SIZE of a fixed-size model export (pinned to that size).
import type { Config, KnobValue, ParamSpec, Space } from './types.js';
import { completeConfig } from './config.js';
import { quote } from './values.js';

export interface DroppedParam {
  name: string;
  /** One line for the user: why, the pinned value, and which presets were changed. */
  reason: string;
}

/** A knob held at one value; `because` opens the line that reports it (e.g. "USE_NVDEC requires nvdec, which this host lacks"). */
export interface Pin {
  name: string;
  value: KnobValue;
  because: string;
}

/** The value a knob takes where its capability is absent: 0 for booleans, else its default. */
export function offValue(param: ParamSpec): number | string {
  if (param.type === 'bool') return 0;
  return param.default as number | string;
}

/**
 * The space with each pinned knob fixed at its value: no longer searched, and the fixed knobs, the
 * reference and the baselines that set it otherwise overridden. A pin that changes nothing (the knob
 * is not searched and nothing sets another value) is not reported.
 */
export function pinParams(space: Space, pins: readonly Pin[]): { space: Space; dropped: DroppedParam[] } {
  if (pins.length === 0) return { space, dropped: [] };
  const pinned = new Map(pins.map((p) => [p.name, p]));
  const overridden = new Map<string, string[]>();
  const override = (label: string, config: Config): Config => {
    const next: Config = { ...config };
    for (const { name, value } of pins) {
      if (name in next && next[name] !== value) {
        overridden.set(name, [...(overridden.get(name) ?? []), `${label} (was ${quote(next[name])})`]);
      }
      next[name] = value;
    }
    return next;
  };
  const restricted: Space = {
    ...space,
    params: space.params.filter((p) => !pinned.has(p.name)),
    fixed: override('fixed', space.fixed),
    reference: {},
    baselines: [],
  };
  restricted.reference = completeConfig(restricted, override('reference', space.reference), {
    label: 'reference',
    allowOutside: true,
  });
  restricted.baselines = space.baselines.map((b) => ({
    name: b.name,
    config: completeConfig(restricted, override(`baseline ${b.name}`, b.config), { label: `baselines.${b.name}` }),
  }));

  const searched = new Set(space.params.map((p) => p.name));
  const dropped = pins
    .filter((p) => searched.has(p.name) || overridden.has(p.name))
    .map(({ name, value, because }) => {
      const changed = overridden.get(name);
      const tail = changed ? `; overridden in ${changed.join(', ')}` : '';
      return { name, reason: `${because}: pinned to ${quote(value)}${searched.has(name) ? ' and not searched' : ''}${tail}` };
    });
  return { space: restricted, dropped };
}

/**
 * The space as this host can run it: every param whose `requires` names a capability that `caps`
 * lacks (absent or false) is pinned at its off value.
 */
export function restrictToCapabilities(space: Space, caps: Record<string, boolean>): { space: Space; dropped: DroppedParam[] } {
  const pins: Pin[] = [];
  for (const p of space.params) {
    const missing = (p.requires ?? []).filter((cap) => caps[cap] !== true);
    if (missing.length > 0) pins.push({ name: p.name, value: offValue(p), because: `${p.name} requires ${missing.join(' and ')}, which this host lacks` });
  }
  return pinParams(space, pins);
}
