// vitest globalSetup: every temporary file and folder of the suite (the tests' mkdtemp folders, the
// PostgreSQL cluster, pm2 homes, clips) goes under one folder, removed when the suite ends, so a run
// leaves nothing behind in the system's temporary folder. Listed first, so it is torn down last.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'autotune-tests-'));
  // As root, the PostgreSQL server runs as the postgres user, which must reach its folder in here.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
