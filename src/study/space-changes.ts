// What a study's space file says now against what it said when the study last ran. The study records
// the file as read (before a host pins what it lacks, so hosts of a fleet compare alike). A changed
// reference config changes what accuracy means, so a resume is refused; other edits are named.

import type { Config, Space } from '../search/index.js';

export interface SpaceAsRead {
  params: Space['params'];
  fixed: Config;
  reference: Config;
  baselines: Space['baselines'];
}

/** What the study measures by: a knob's description is left out (editing it changes nothing measured). */
export function spaceAsRead(space: Space): SpaceAsRead {
  const params = space.params.map(({ description: _description, ...measured }) => measured);
  return { params, fixed: space.fixed, reference: space.reference, baselines: space.baselines };
}

/** A study's recorded space, when its runs recorded one (studies from before did not). */
export function recordedSpace(settings: Record<string, unknown>): SpaceAsRead | null {
  const value = settings.spaceAsRead;
  return value && typeof value === 'object' ? (value as SpaceAsRead) : null;
}

/** "IMG_SIZE 1280 (was 640)" for each knob of the reference that differs; empty when it is the same. */
export function referenceChanges(previous: SpaceAsRead, next: SpaceAsRead): string[] {
  return configChanges(previous.reference, next.reference);
}

/** The parts of the space that changed besides the reference: "knob IMG_SIZE", "baseline QUICK", "fixed POOL". */
export function spaceChanges(previous: SpaceAsRead, next: SpaceAsRead): string[] {
  const byName = <T>(items: readonly T[], name: (t: T) => string) => new Map(items.map((t) => [name(t), canonical(t)]));
  const changedKeys = (before: Map<string, string>, after: Map<string, string>, what: string) =>
    [...new Set([...before.keys(), ...after.keys()])].flatMap((k) => {
      if (!before.has(k)) return [`${what} ${k} added`];
      if (!after.has(k)) return [`${what} ${k} removed`];
      return before.get(k) === after.get(k) ? [] : [`${what} ${k}`];
    });
  const entries = (config: Config) => new Map(Object.entries(config).map(([k, v]) => [k, canonical(v)]));
  return [
    ...changedKeys(byName(previous.params, (p) => p.name), byName(next.params, (p) => p.name), 'knob'),
    ...changedKeys(entries(previous.fixed), entries(next.fixed), 'fixed'),
    ...changedKeys(byName(previous.baselines, (b) => b.name), byName(next.baselines, (b) => b.name), 'baseline'),
  ];
}

function configChanges(previous: Config, next: Config): string[] {
  return [...new Set([...Object.keys(previous), ...Object.keys(next)])]
    .filter((k) => canonical(previous[k] ?? null) !== canonical(next[k] ?? null))
    .map((k) => `${k} ${next[k] ?? '(unset)'} (was ${previous[k] ?? 'unset'})`);
}

/** JSON with object keys sorted: the same content reads the same whatever order the file lists it in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
