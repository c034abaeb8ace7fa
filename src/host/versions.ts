import Database from 'better-sqlite3';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export interface Versions {
  node: string;
  undici: string | null;
  onnxruntime: string | null;
  betterSqlite3: string | null;
  sqlite: string;
  autotune: string | null;
}

export function readVersions(): Versions {
  const db = new Database(':memory:');
  try {
    const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
    return {
      node: process.versions.node,
      undici: packageVersion('undici'),
      onnxruntime: packageVersion('onnxruntime-node'),
      betterSqlite3: packageVersion('better-sqlite3'),
      sqlite,
      autotune: packageVersion('sn44-autotune'),
    };
  } finally {
    db.close();
  }
}
