// Drops knobs the host cannot use (USE_NVDEC without NVDEC, ...) from the search, pinning them off.
import type { Config, ParamSpec, Space } from './types.js';
import { completeConfig } from './config.js';
import { quote } from './values.js';

export interface DroppedParam {
  name: string;
  /** One line for the user: what is missing, the pinned value, and which presets were changed. */
  reason: string;
}

/** The value a knob takes where its capability is absent: 0 for booleans, else its default. */
export function offValue(param: ParamSpec): number | string {
  if (param.type === 'bool') return 0;
  return param.default as number | string;
}

/**
 * The space as this host can run it: every param whose `requires` names a capability that `caps`
 * lacks (absent or false) becomes a fixed knob at its off value; baselines and the reference that
 * set it otherwise are overridden, and each change is reported in `dropped`.
 */
export function restrictToCapabilities(
  space: Space,
  caps: Record<string, boolean>,
): { space: Space; dropped: DroppedParam[] } {
  const pinned = new Map<string, { param: ParamSpec; value: number | string; missing: string[] }>();
  for (const p of space.params) {
    const missing = (p.requires ?? []).filter((cap) => caps[cap] !== true);
    if (missing.length > 0) pinned.set(p.name, { param: p, value: offValue(p), missing });
  }
  if (pinned.size === 0) return { space, dropped: [] };

  const fixed: Config = { ...space.fixed };
  for (const [name, { value }] of pinned) fixed[name] = value;
  const restricted: Space = {
    ...space,
    params: space.params.filter((p) => !pinned.has(p.name)),
    fixed,
    reference: {},
    baselines: [],
  };
  const overridden = new Map<string, string[]>();
  const override = (label: string, config: Config): Config => {
    const next: Config = { ...config };
    for (const [name, { value }] of pinned) {
      if (name in next && next[name] !== value) {
        overridden.set(name, [...(overridden.get(name) ?? []), `${label} (was ${quote(next[name])})`]);
      }
      next[name] = value;
    }
    return next;
  };
  restricted.reference = completeConfig(restricted, override('reference', space.reference), {
    label: 'reference',
    allowOutside: true,
  });
  restricted.baselines = space.baselines.map((b) => ({
    name: b.name,
    config: completeConfig(restricted, override(`baseline ${b.name}`, b.config), { label: `baselines.${b.name}` }),
  }));

  const dropped: DroppedParam[] = [...pinned].map(([name, { value, missing }]) => {
    const changed = overridden.get(name);
    const tail = changed ? `; overridden in ${changed.join(', ')}` : '';
    return {
      name,
      reason: `${name} requires ${missing.join(' and ')}, which this host lacks: pinned to ${quote(value)} and not searched${tail}`,
    };
  });
  return { space: restricted, dropped };
}
