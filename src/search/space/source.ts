// Where a --space argument is read from. A file that exists where the command runs wins; otherwise
// the argument may name one of the spaces this package ships (sn44, quick.yaml, search-spaces/sn44.yaml),
// so the defaults work from any folder, a miner's or an installed CLI's, not only from a checkout.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's search-spaces folder. */
export const BUILT_IN_SPACES_DIR = fileURLToPath(new URL('../../../search-spaces/', import.meta.url));

export interface SpaceSource {
  /** The file to read. */
  path: string;
  /** How the study records and shows it: the argument for a file of the user's, search-spaces/NAME.yaml for a built-in one. */
  label: string;
}

/** The names of the built-in spaces (file names without .yaml). */
export function builtInSpaceNames(): string[] {
  try {
    return readdirSync(BUILT_IN_SPACES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
  } catch {
    return [];
  }
}

/** `arg` itself when it exists; else the built-in space it names; else `arg` (reading it then says what is missing). */
export function resolveSpaceSource(arg: string): SpaceSource {
  if (existsSync(arg)) return { path: arg, label: arg };
  const name = builtInName(arg);
  if (name) return { path: join(BUILT_IN_SPACES_DIR, `${name}.yaml`), label: `search-spaces/${name}.yaml` };
  return { path: arg, label: arg };
}

/** NAME for `NAME`, `NAME.yaml` and `search-spaces/NAME.yaml` (with or without ./) when NAME is built in. */
function builtInName(arg: string): string | null {
  const bare = arg.replace(/^\.\//, '');
  const withoutDir = bare.startsWith('search-spaces/') ? bare.slice('search-spaces/'.length) : bare;
  if (withoutDir !== basename(withoutDir)) return null;
  const name = withoutDir.endsWith('.yaml') ? withoutDir.slice(0, -'.yaml'.length) : withoutDir;
  return builtInSpaceNames().includes(name) ? name : null;
}
