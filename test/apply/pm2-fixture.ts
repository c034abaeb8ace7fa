// A real pm2 daemon in a temporary PM2_HOME and a tiny process that reports its environment.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PM2_BIN = fileURLToPath(new URL('../../node_modules/.bin/pm2', import.meta.url));
export const REPORTED_KEYS = ['IMG_SIZE', 'BATCH_SIZE', 'FRAME_STRIDE', 'USE_CONNECTION_POOL'];

// Writes the reported keys to REPORT_FILE on start and every 100 ms. IMG_SIZE=928 (a size the space
// allows) makes it crash at start: the "tuned" value a failing restart uses. IMG_SIZE=896 makes it
// come up and die half a second later, as a miner does that runs out of GPU memory on its first batch.
const REPORTER = `
const fs = require('fs');
const keys = ${JSON.stringify(REPORTED_KEYS)};
if (process.env.IMG_SIZE === '928') { console.error('IMG_SIZE=928 does not fit in GPU memory'); process.exit(3); }
if (process.env.IMG_SIZE === '896') setTimeout(() => { console.error('IMG_SIZE=896: out of GPU memory on the first batch'); process.exit(3); }, 500);
const write = () => {
  const env = Object.fromEntries(keys.map((k) => [k, process.env[k] ?? null]));
  fs.writeFileSync(process.env.REPORT_FILE + '.tmp', JSON.stringify({ pid: process.pid, env }));
  fs.renameSync(process.env.REPORT_FILE + '.tmp', process.env.REPORT_FILE);
};
write();
setInterval(write, 100);
`;

export interface Pm2Lab {
  home: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  pm2(...args: string[]): Promise<string>;
  /** Starts the reporter under pm2 as NAME with the given environment (and pm2 options); returns its report path. */
  start(name: string, env: Record<string, string>, pm2Options?: string[]): Promise<string>;
  report(path: string): { pid: number; env: Record<string, string | null> };
  close(): Promise<void>;
}

export function createPm2Lab(): Pm2Lab {
  const home = mkdtempSync(join(tmpdir(), 'pm2-home-'));
  const dir = mkdtempSync(join(tmpdir(), 'pm2-apps-'));
  const script = join(dir, 'reporter.cjs');
  writeFileSync(script, REPORTER);
  const env: NodeJS.ProcessEnv = { ...process.env, PM2_HOME: home, FORCE_COLOR: '0' };
  delete env.PM2_BIN;
  const pm2 = async (...args: string[]) => String((await execa(PM2_BIN, args, { env, stdin: 'ignore' })).stdout);
  return {
    home,
    dir,
    env,
    pm2,
    async start(name, extra, pm2Options = []) {
      const report = join(dir, `${name}.json`);
      await execa(PM2_BIN, ['start', script, '--name', name, '--update-env', ...pm2Options], {
        env: { ...env, ...extra, REPORT_FILE: report },
        stdin: 'ignore',
      });
      return report;
    },
    report(path) {
      return JSON.parse(readFileSync(path, 'utf8'));
    },
    async close() {
      await execa(PM2_BIN, ['kill'], { env, stdin: 'ignore', reject: false });
      rmSync(home, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until check() returns true (for the reporter's 100 ms writes), or gives up after ms. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (check()) return true;
    } catch {
      // the report may be mid-write
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}
