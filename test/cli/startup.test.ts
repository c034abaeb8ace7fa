// A command loads only its own module and what that uses: `--help` and `trials` start without the
// pipeline (onnxruntime, undici), the ONNX writer (protobufjs) or the other commands' modules.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliArgs } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The URLs of the modules `autotune ARGS` loads (as ESM imports see them), and its exit code. */
async function modulesLoadedBy(name: string, args: string[]): Promise<{ exitCode: number; urls: string[] }> {
  const log = join(dir, `${name}.txt`);
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const run = await execa('node', ['--import', `data:text/javascript,${encodeURIComponent(register)}`, ...cliArgs(args)], {
    cwd: root,
    reject: false,
    stdin: 'ignore',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { exitCode: run.exitCode ?? 1, urls: readFileSync(log, 'utf8').trim().split('\n') };
}

const commandModule = (urls: string[], name: string) => urls.some((u) => new RegExp(`/cli/commands/${name}\\.[jt]s$`).test(u));
const packageLoaded = (urls: string[], name: string) => urls.some((u) => u.includes(`/node_modules/${name}/`));

describe('start-up', () => {
  it('--help loads no command module', async () => {
    const { exitCode, urls } = await modulesLoadedBy('help', ['--help']);
    expect(exitCode).toBe(0);
    expect(urls.some((u) => u.includes('/cli/main.'))).toBe(true);
    for (const name of ['run', 'trials', 'diagnose', 'lab', 'apply', 'report']) expect(commandModule(urls, name), name).toBe(false);
  });

  it('trials loads its own module, and not the pipeline, the lab model or the other commands', async () => {
    const { exitCode, urls } = await modulesLoadedBy('trials', ['trials', '--db', join(dir, 'none.db')]);
    expect(exitCode).toBe(2);
    expect(commandModule(urls, 'trials')).toBe(true);
    for (const name of ['run', 'diagnose', 'lab', 'apply', 'report']) expect(commandModule(urls, name), name).toBe(false);
    for (const name of ['onnxruntime-node', 'undici', 'protobufjs', 'execa']) expect(packageLoaded(urls, name), name).toBe(false);
  });

  it('run loads the pipeline it downloads with', async () => {
    const { urls } = await modulesLoadedBy('run', ['run', '--help']);
    expect(commandModule(urls, 'run')).toBe(true);
    expect(packageLoaded(urls, 'undici')).toBe(true);
  });
});
