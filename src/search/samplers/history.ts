// What samplers read from the trial history.
import type { TrialSummary } from '../../study/types.js';
import { searchKey } from '../space/config.js';
import type { Space } from '../space/types.js';

/** The search keys of every trial so far (any state): configs a sampler should not propose again. */
export function triedKeys(space: Space, history: readonly TrialSummary[]): Set<string> {
  const keys = new Set<string>();
  for (const t of history) keys.add(searchKey(space, t.params));
  return keys;
}
