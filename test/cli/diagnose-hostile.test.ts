// `autotune diagnose` against hostile servers and broken models: the result is still printed (--json
// too), then one line on stderr names the input and what to do, and the exit code says what failed:
// 3 the server or the network, 4 the video, 5 the model. Never a stack trace, never a silent wait.
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { startLabServer, type LabServer } from '../../src/lab/server/index.js';
import { cliArgs, runCli } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-server.js';
import { labClip } from '../helpers/lab-fixtures.js';
import { constantModel } from '../pipeline/infer-models.js';

const FAST = ['--set', 'IMG_SIZE=224', '--set', 'USE_NVDEC=0', '--set', 'FRAME_STRIDE=5', '--reference-img-size', '224', '--device', 'cpu'];

let dir: string;
let model: string;
let hostile: HostileServer;
let tls: LabServer;
const models: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'diagnose-hostile-'));
  model = join(dir, 'lab-detector.onnx');
  writeFileSync(model, buildLabDetector().bytes);
  const clip = await labClip();
  hostile = await startHostileServer({ clipPath: clip.path });
  tls = await startLabServer({ dir: dirname(clip.path), port: 0, httpPort: 0 });
  models.random = join(dir, 'random.onnx');
  writeFileSync(models.random, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
  models.empty = join(dir, 'empty.onnx');
  writeFileSync(models.empty, '');
  models.shape = constantModel({ rows: 3, cols: 2, values: [0, 0, 0, 0, 0, 0] }, 'wrong-shape');
  models.folder = join(dir, 'model-folder.onnx');
  mkdirSync(models.folder);
});
afterAll(async () => {
  await hostile?.close();
  await tls?.close();
});

/** stderr must be lines of `autotune: ...`, never a stack or node's crash banner. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/Node\.js v\d|Unhandled|node:internal/);
  for (const line of stderr.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^autotune: /);
}

describe('diagnose: a failed challenge prints its result, then exits non-zero with one line', () => {
  it.each([
    ['zero.mp4', 3, 'http-status', /has an empty body \(0 bytes\): there is no video to decode \(check the URL: it should serve the mp4 itself\)$/],
    ['404.mp4', 3, 'http-status', /HTTP 404 from \S+404\.mp4 \(check the URL\)$/],
    ['loop.mp4', 3, 'http-status', /redirect loop: \S+loop\.mp4 -> \S+loop\.mp4 \(point at the final URL/],
    ['closed.mp4', 3, 'reset', /the connection to \S+closed\.mp4 broke/],
    ['slow.mp4', 3, 'too-slow', /\S+slow\.mp4 downloads at [\d.]+ (B|KiB)\/s .* cannot finish within the 240 s challenge timeout.* \(measure the link with autotune net probe URL/],
    ['page.mp4', 4, 'decode', /\S+page\.mp4 is not an mp4: the server sent \d+ bytes of text\/html/],
    ['random.mp4', 4, 'decode', /\S+random\.mp4 /],
    ['audio.mp4', 4, 'decode', /\S+audio\.mp4 has no video track .*\(use an mp4 with an H\.264\/H\.265 video track\)$/],
    ['truncated.mp4', 4, 'decode', /\S+truncated\.mp4 is truncated: the file has 100000 bytes/],
  ])('%s: exit %i (%s)', async (path, exit, reason, line) => {
    const url = `${hostile.url}${path}`;
    const started = Date.now();
    const run = await runCli(['diagnose', url, '--model', model, '--json', ...FAST]);
    expectNoStack(run.stderr);
    expect(run.exitCode).toBe(exit);
    const o = JSON.parse(run.stdout);
    expect(o.error.reason).toBe(reason);
    const last = run.stderr.trim().split('\n').at(-1)!;
    expect(last.startsWith(`autotune: the challenge failed (${reason}): `)).toBe(true);
    expect(last).toMatch(line);
    // Bounded: every case is decided by the server's answer, the rate window or a short limit (the
    // slow case took 258 s before, past the challenge timeout).
    expect(Date.now() - started).toBeLessThan(120_000);
  });

  it('a stall: exit 3 naming the URL and the bytes that came (streaming ends it after STREAM_BUFFER_TIMEOUT_S)', async () => {
    const run = await runCli(['diagnose', `${hostile.url}stall.mp4`, '--model', model, ...FAST, '--set', 'PARTIAL_DOWNLOAD=0', '--set', 'CHUNKED_STREAMING=1', '--set', 'STREAM_BUFFER_TIMEOUT_S=0.2']);
    expectNoStack(run.stderr);
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(/^error +stall: no bytes for 0\.2s/m);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^autotune: the challenge failed \(stall\): .* \(the server or the link stalls; try again or another server\)$/);
  });

  it.each([
    ['an untrusted certificate', () => `${tls.httpsUrl}clip.mp4`, /cannot connect to https:\/\/127\.0\.0\.1:\d+\/clip\.mp4: .*self-signed certificate.* \(the server's certificate is not trusted: pass it or its CA with --ca FILE\)$/],
    ['a host that does not resolve', () => 'http://no-such-host.invalid/clip.mp4', /cannot connect to http:\/\/no-such-host\.invalid\/clip\.mp4: .*ENOTFOUND.* \(check the host name in the URL/],
    ['a refused port', () => 'http://127.0.0.1:1/clip.mp4', /cannot connect to http:\/\/127\.0\.0\.1:1\/clip\.mp4: .*ECONNREFUSED.* \(check the host name in the URL/],
  ])('%s: exit 3 (connect) with what to do', async (_what, url, line) => {
    const run = await runCli(['diagnose', url(), '--model', model, ...FAST]);
    expectNoStack(run.stderr);
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(/^error +connect: /m);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(line);
  });

  it.each([
    ['random bytes', 'random', /cannot load model .*random\.onnx/],
    ['an empty file', 'empty', /model file .*empty\.onnx is empty \(0 bytes\) \(export the model again/],
    ['the wrong output shape', 'shape', /model .*shape\.onnx: outputs output0 \[\d+, 3, 2\] at input \d+x\d+ match no known layout .*--model-layout/],
  ])('a model of %s: exit 5 (model) naming the model file', async (_what, name, line) => {
    const run = await runCli(['diagnose', `${hostile.url}clip.mp4`, '--model', models[name]!, '--json', ...FAST]);
    expectNoStack(run.stderr);
    expect(run.exitCode).toBe(5);
    expect(JSON.parse(run.stdout).error.reason).toBe('model');
    const last = run.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^autotune: the challenge failed \(model\): /);
    expect(last).toMatch(line);
  });

  it('a model path that is a folder: says so, not "not found"', async () => {
    const run = await runCli(['diagnose', `${hostile.url}clip.mp4`, '--model', models.folder!, ...FAST]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toBe(`autotune: --model ${models.folder} is a folder, not an ONNX file (pass the .onnx file itself, e.g. --model yolo/best.onnx)`);
  });

  it('with --repeats, says how many runs failed', async () => {
    const run = await runCli(['diagnose', `${hostile.url}404.mp4`, '--model', model, '--repeats', '2', ...FAST]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr.trim()).toMatch(/^autotune: 2 of 2 runs failed; the first \(http-status\): HTTP 404 from /);
  });
});

describe('diagnose: redirects', () => {
  it('follows them and reports the final URL (text and JSON); exit 0', async () => {
    const url = `${hostile.url}redirect.mp4`;
    const text = await runCli(['diagnose', url, '--model', model, ...FAST]);
    expect(text.stderr).not.toMatch(/failed/);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^download +[\\d.]+ KiB over http/1\\.1 from ${hostile.url}hop-target\\.mp4 \\(2 redirects followed\\)$`, 'm'));
    const json = await runCli(['diagnose', url, '--model', model, '--json', ...FAST]);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: null, finalUrl: `${hostile.url}hop-target.mp4`, redirects: [`${hostile.url}hop.mp4`, `${hostile.url}hop-target.mp4`] });
  });
});

// A terminal is needed for the progress line: `script` runs the CLI on a pseudo-terminal.
const script = await execa('script', ['--version'], { reject: false }).then((r) => r.exitCode === 0, () => false);
if (!script) console.log('diagnose progress on a terminal skipped: `script` (util-linux) is not installed');

describe.skipIf(!script)('diagnose: a long wait on a terminal', () => {
  it('shows what it is waiting for while the download runs, and clears it before the result', async () => {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = ['node', ...cliArgs(['diagnose', `${hostile.url}slow.mp4`, '--model', model, ...FAST])].map(quote).join(' ');
    const run = await execa('script', ['-qfec', command, '/dev/null'], {
      cwd: join(dirname(new URL(import.meta.url).pathname), '..', '..'),
      reject: false,
      env: { ...process.env, FORCE_COLOR: '0', COLUMNS: '200' },
    });
    const out = String(run.stdout);
    expect(out).toMatch(new RegExp(`autotune: challenge ${hostile.url}slow\\.mp4: \\d+ s, [\\d.]+ (B|KiB) of [\\d.]+ KiB downloaded`));
    expect(out).toContain('\r\x1b[K');
    expect(out).toMatch(/autotune: the challenge failed \(too-slow\)/);
    expect(run.exitCode).toBe(3);
  });
});
