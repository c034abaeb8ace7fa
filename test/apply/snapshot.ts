import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Names and bytes of every file in a folder (one level): to assert "nothing changed on disk". */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    out[name] = statSync(path).isFile() ? readFileSync(path).toString('base64') : '<dir>';
  }
  return out;
}
