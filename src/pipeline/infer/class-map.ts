import { AutotuneError } from '../../errors.js';
import { CLASS_IDS, type ClassName } from '../../lab/scene/palette.js';

/**
 * Parses `--class-map` (`MODEL_ID=SN44_CLASS,...`, the SN44 class as a name or its id, e.g.
 * `0=player,1=goalkeeper,2=referee,32=ball`) into model class id -> SN44 class id. Model classes not
 * listed are dropped from the answers.
 */
export function parseClassMap(text: string): Record<number, number> {
  const map: Record<number, number> = {};
  const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
  const names = Object.keys(CLASS_IDS).join(', ');
  const fail = (entry: string, why: string) =>
    new AutotuneError('E_USAGE', `--class-map entry ${JSON.stringify(entry)}: ${why}`, {
      hint: `write MODEL_ID=CLASS pairs separated by commas, CLASS one of ${names} or 0-3, e.g. 0=player,32=ball`,
    });
  if (entries.length === 0) throw fail(text, 'no MODEL_ID=CLASS pair');
  for (const entry of entries) {
    const m = /^(\d+)\s*=\s*([a-z]+|\d+)$/i.exec(entry);
    if (!m) throw fail(entry, 'not MODEL_ID=CLASS');
    const from = Number(m[1]);
    const target = m[2]!.toLowerCase();
    const to = /^\d+$/.test(target) ? Number(target) : CLASS_IDS[target as ClassName];
    if (to === undefined || !Object.values(CLASS_IDS).includes(to as never)) throw fail(entry, `unknown SN44 class ${m[2]}`);
    if (from in map) throw fail(entry, `model class ${from} is mapped twice`);
    map[from] = to;
  }
  return map;
}

/** A stable text form, for cache keys. */
export function classMapKey(map: Readonly<Record<number, number>> | undefined): string {
  if (!map) return 'identity';
  return Object.keys(map)
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => `${k}=${map[k]}`)
    .join(',');
}
