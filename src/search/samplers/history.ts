// What samplers read from the trial history.
import type { Config, Space } from '../space/types.js';
import type { TrialSummary } from './types.js';
import { isActive, orderedParams, searchKey } from '../space/config.js';
import { normalizeValue } from '../space/values.js';

/** The search keys of every trial so far (any state) measured here: configs a sampler should not propose again. */
export function triedKeys(space: Space, history: readonly TrialSummary[]): Set<string> {
  const keys = new Set<string>();
  for (const t of history) if (t.origin === undefined) keys.add(searchKey(space, t.params));
  return keys;
}

/** Linear scans before building the key set: most asks check only one or two configs. */
const SCANS_BEFORE_SET = 4;

/**
 * A test for "this config's searched part equals a trial's": scans the history (a mismatch shows on
 * the first knob or two) for the first few calls, then switches to a key set.
 */
export function triedCheck(space: Space, history: readonly TrialSummary[]): (config: Config) => boolean {
  let calls = 0;
  let keys: Set<string> | null = null;
  const params = orderedParams(space);
  return (config) => {
    if (keys) return keys.has(searchKey(space, config));
    if (++calls > SCANS_BEFORE_SET) {
      keys = triedKeys(space, history);
      return keys.has(searchKey(space, config));
    }
    return history.some((t) => t.origin === undefined && sameSearch(params, config, t.params));
  };
}

/** Equal searched parts; parents come first in `params`, so activity is settled when a child is compared. */
function sameSearch(params: ReturnType<typeof orderedParams>, a: Config, b: Config): boolean {
  for (const p of params) {
    const va = a[p.name] !== undefined && isActive(p, a) ? normalizeValue(a[p.name]) : undefined;
    const vb = b[p.name] !== undefined && isActive(p, b) ? normalizeValue(b[p.name]) : undefined;
    if (va !== vb) return false;
  }
  return true;
}
