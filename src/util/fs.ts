import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AutotuneError } from '../errors.js';

/**
 * Creates a folder a user named (and its parents), or throws E_INPUT naming it. `what` says which
 * input it was, e.g. "--out".
 */
export function makeDirs(dir: string, what = 'folder'): void {
  try {
    makeEach(resolve(dir));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new AutotuneError('E_INPUT', `cannot create ${what} ${dir} (${code})`, {
      hint: 'choose a folder you can write to',
      cause: err,
    });
  }
}

// Node's recursive mkdir loops forever where the kernel answers ENOENT for a parent that exists
// (e.g. /proc/x), so folders are made one level at a time.
function makeEach(path: string): void {
  try {
    if (statSync(path).isDirectory()) return;
    throw Object.assign(new Error(`${path} is not a folder`), { code: 'ENOTDIR' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const parent = dirname(path);
  if (parent !== path) makeEach(parent);
  mkdirSync(path);
}
