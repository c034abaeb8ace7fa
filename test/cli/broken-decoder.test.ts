// A decoder that cannot run (a broken ffmpeg first on PATH, or FFMPEG_PATH pointing at one) or that
// runs `-version` but cannot decode H.264 stops `run`, `diagnose` and `infer` before anything is
// measured, with one line naming the binary, where it was found, what it printed and what to do
// (exit 4); `doctor` reports it as such, not as an ffmpeg "built without the cuda hwaccel".
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLabDetector } from '../../src/lab/model/lab-detector.js';
import { resolveFfmpeg } from '../../src/util/ffmpeg.js';
import { runCli } from '../helpers/cli.js';
import { labClip } from '../helpers/lab-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-broken-decoder-'));
const samples = join(dir, 'samples');
const model = join(dir, 'lab-detector.onnx');
// Each fake is called ffmpeg in its own folder, so that folder can go first on PATH.
const broken = join(dir, 'broken', 'ffmpeg');
const noDecode = join(dir, 'no-decode', 'ffmpeg');

function script(path: string, body: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

beforeAll(async () => {
  mkdirSync(samples);
  const clip = await labClip({ frames: 8, width: 320, height: 180 });
  copyFileSync(clip.path, join(samples, 'clip.mp4'));
  writeFileSync(model, buildLabDetector().bytes);
  script(broken, 'echo broken >&2\nexit 127');
  // The real ffmpeg answers -version; anything else fails the way a build without the h264 decoder does.
  script(
    noDecode,
    `case " $* " in *" -version "*) exec '${resolveFfmpeg().path}' "$@";; esac\necho "Decoder (codec h264) not found for input stream #0:0" >&2\nexit 1`,
  );
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const onPath = (fake: string) => ({ PATH: `${join(fake, '..')}${delimiter}${process.env.PATH}`, FFMPEG_PATH: '' });
const env = (vars: Record<string, string>) => ({ env: { FORCE_COLOR: '0', ...vars } });

const CASES: [string, () => Record<string, string>, () => string, string, RegExp][] = [
  [
    'a broken ffmpeg first on PATH',
    () => onPath(broken),
    () => broken,
    'the first ffmpeg on PATH',
    /cannot run: `-version` exited 127 and printed "broken" \(fix PATH or remove that binary, or set FFMPEG_PATH to a working ffmpeg; without an ffmpeg on PATH the npm-shipped static build is used\)$/,
  ],
  [
    'FFMPEG_PATH pointing at a broken ffmpeg',
    () => ({ FFMPEG_PATH: broken }),
    () => broken,
    'set by FFMPEG_PATH',
    /cannot run: `-version` exited 127 and printed "broken" \(point FFMPEG_PATH at a working ffmpeg, or unset it to use the ffmpeg on PATH or the npm-shipped static build\)$/,
  ],
  [
    'an ffmpeg that runs -version but cannot decode H.264',
    () => onPath(noDecode),
    () => noDecode,
    'the first ffmpeg on PATH',
    /cannot decode H\.264: a 3-frame 256x144 H\.264 test clip gave no frame \(exit 1\) and ffmpeg printed "Decoder \(codec h264\) not found for input stream #0:0" \(fix PATH/,
  ],
];

let runs = 0;

function expectOneLine(stderr: string, bin: string, where: string, line: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]!.startsWith(`autotune: ffmpeg ${bin} (${where}) `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(line);
}

describe('a decoder that cannot run or decode stops the command before anything is measured', () => {
  it.each(CASES)('run with %s: exit 4, one line, no study and no database', async (_what, vars, bin, where, line) => {
    const db = join(dir, `run-${++runs}.db`);
    const run = await runCli(
      ['run', '--samples', samples, '--model', model, '--space', 'search-spaces/quick.yaml', '--db', db, '--trials', '1', '--device', 'cpu'],
      env(vars()),
    );
    expect(run.exitCode, run.stderr).toBe(4);
    expectOneLine(run.stderr, bin(), where, line);
    // Checked before the host probe, the lab server, the store and the baselines.
    expect(run.stdout).toBe('');
    expect(existsSync(db)).toBe(false);
  });

  it.each(CASES)('diagnose with %s: exit 4 and only the line (--json too), before the video is fetched', async (_what, vars, bin, where, line) => {
    // Nothing listens on port 9: a connect failure (exit 3) would mean the video came first.
    const run = await runCli(['diagnose', 'http://127.0.0.1:9/clip.mp4', '--model', model, '--json', '--device', 'cpu'], env(vars()));
    expect(run.exitCode, run.stderr).toBe(4);
    expectOneLine(run.stderr, bin(), where, line);
    expect(run.stdout).toBe('');
  });

  it('infer with a broken ffmpeg first on PATH: exit 4, one line (not "cannot decode CLIP")', async () => {
    const [, vars, bin, where, line] = CASES[0]!;
    const run = await runCli(['infer', join(samples, 'clip.mp4'), '--model', model, '--img-size', '224', '--device', 'cpu'], env(vars()));
    expect(run.exitCode, run.stderr).toBe(4);
    expectOneLine(run.stderr, bin(), where, line);
  });
});

describe('doctor: a decoder that cannot run is reported as such', () => {
  it('a broken ffmpeg first on PATH: the ffmpeg row says "cannot run: ...", NVDEC says "ffmpeg cannot run"', async () => {
    const run = await runCli(['doctor'], env(onPath(broken)));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^ffmpeg +unusable \\(PATH\\) +cannot run: \`-version\` exited 127 and printed "broken" \\(${esc(broken)}\\)$`, 'm'));
    expect(run.stdout).toMatch(/^hwaccels +unknown +ffmpeg cannot run$/m);
    expect(run.stdout).toMatch(new RegExp(`^NVDEC decode +no +ffmpeg cannot run \\(PATH: ${esc(broken)}\\): \`-version\` exited 127 and printed "broken"$`, 'm'));
    expect(run.stdout).not.toMatch(/built without the cuda hwaccel/);
    expect(run.stdout).toContain(`- ffmpeg ${broken} (the first ffmpeg on PATH) cannot run: \`-version\` exited 127 and printed "broken" (fix PATH or remove that binary`);
  });

  it('an ffmpeg that cannot decode H.264 (--json): its version, the failed decode, and NVDEC says why', async () => {
    const run = await runCli(['doctor', '--json'], env(onPath(noDecode)));
    expect(run.exitCode, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.ffmpeg).toMatchObject({ path: noDecode, source: 'PATH', version: expect.any(String) });
    expect(report.ffmpeg.error).toMatch(/^cannot decode H\.264: a 3-frame 256x144 H\.264 test clip gave no frame \(exit 1\)/);
    expect(report.ffmpeg.fix).toMatch(new RegExp(`^ffmpeg ${esc(noDecode)} \\(the first ffmpeg on PATH\\) cannot decode H\\.264: .* \\(fix PATH`));
    expect(report.nvdec).toMatchObject({ usable: false, decoder: null });
    expect(report.nvdec.reason).toMatch(new RegExp(`^ffmpeg cannot decode H\\.264 \\(PATH: ${esc(noDecode)}\\): `));
    expect(report.advice[0]).toBe(report.ffmpeg.fix);
  });
});
