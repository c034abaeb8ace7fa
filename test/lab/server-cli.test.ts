import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, refusal, runCli } from '../helpers/cli.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let file: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lab-serve-cli-'));
  file = randomBytes(200_000);
  await writeFile(path.join(dir, 'clip.mp4'), file);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const serveArgs = () => ['lab', 'serve', '--dir', dir, '--port', '0', '--http-port', '0'];

describe('autotune lab serve', () => {
  it('prints the base URLs and the CA path, logs each request, and exits 0 on SIGINT', async () => {
    const child = execa('node', cliArgs(serveArgs()), {
      cwd: repoRoot,
      reject: false,
      stdin: 'ignore',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => String((await lines.next()).value);
    try {
      const httpsUrl = await next();
      const httpUrl = await next();
      const caLine = await next();
      expect(httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(caLine).toMatch(/^ca: \//);

      const agent = new Agent({ allowH2: true, connect: { ca: await readFile(caLine.slice(4), 'utf8') } });
      const res = await request(`${httpsUrl}clip.mp4`, { dispatcher: agent, headers: { range: 'bytes=10-19' } });
      expect(res.statusCode).toBe(206);
      expect(Buffer.from(await res.body.arrayBuffer()).equals(file.subarray(10, 20))).toBe(true);
      await agent.close();
      expect(await next()).toMatch(/^GET \/clip\.mp4 bytes=10-19 206 h2 10B \d+ms$/);
    } finally {
      child.kill('SIGINT');
    }
    const result = await child;
    expect(result.exitCode).toBe(0);
  });

});

// Bad input: each ends with one `autotune:` line and a non-zero exit. Concurrent: CLI start-up dominates.
describe.concurrent('autotune lab serve, bad input', () => {
  it('rejects an unknown profile with one line naming the valid ones', async ({ expect }) => {
    const run = await runCli([...serveArgs(), '--profile', 'dialup']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^autotune: unknown link profile "dialup".*lan, fork, seed-slow/);
  });

  it('fails with one clear line when the port is in use', async ({ expect }) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = await runCli(['lab', 'serve', '--dir', dir, '--port', String(port), '--http-port', '0']);
      expect(run.exitCode).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(new RegExp(`^autotune: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('tells the user to make samples when the folder is missing', async ({ expect }) => {
    const run = await runCli(['lab', 'serve', '--dir', path.join(dir, 'no-samples-here'), '--port', '0', '--http-port', '0']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^autotune: .*no-samples-here.*autotune samples make/);
  });
});

describe('autotune lab miner', () => {
  it('refuses a missing model or --ca as a bad command line (exit 2), with the same words as run', async () => {
    const missing = await refusal(['lab', 'miner', '--port', '0', '--model', path.join(dir, 'nope.onnx')]);
    expect(missing).toEqual({
      exitCode: 2,
      stderr: `autotune: model ${path.join(dir, 'nope.onnx')} does not exist (make the lab model with \`autotune model make\`, or pass --model with an ONNX detection model)`,
    });
    const ca = await refusal(['lab', 'miner', '--port', '0', '--ca', path.join(dir, 'nope.pem')]);
    expect(ca.exitCode).toBe(2);
    expect(ca.stderr).toMatch(/^autotune: cannot read --ca .*nope\.pem: ENOENT/);
  });
});
