// Can this host's ffmpeg decode at all? Asked once per binary and process before anything is
// measured with it, by two real attempts: `ffmpeg -version`, then a decode of the embedded H.264 clip
// (on stdin) through the decoder's own CPU filter chain. A binary that cannot start, exits non-zero,
// is not ffmpeg, or runs but cannot decode H.264 would otherwise fail every challenge, and each
// failure would look like the video's fault.

import { execa } from 'execa';
import { AutotuneError, isAutotuneError } from '../../errors.js';
import { resolveFfmpeg, type FfmpegBinary } from '../../util/ffmpeg.js';
import { EXIT_VIDEO } from '../failure.js';
import { letterbox } from '../letterbox.js';
import { buildFfmpegArgs, buildFilterChain } from './filters.js';
import { TEST_CLIP } from './test-clip.js';

export type DecoderCheck =
  | { ok: true; bin: FfmpegBinary; version: string; /** What was checked, in one line. */ line: string }
  | {
      ok: false;
      bin: FfmpegBinary;
      /** The version it printed, when `-version` worked. */
      version: string | null;
      /** `-version` failed (cannot run), or the decode did (cannot decode). */
      failed: 'run' | 'decode';
      problem: 'cannot run' | 'cannot decode H.264';
      /** What happened and what it printed. */
      detail: string;
      /** `<problem>: <detail>`. */
      summary: string;
    };

// Generous: only a binary that hangs meets them, never a busy machine.
const TIMEOUT_MS = 30_000;
const OUT = 64;
const STRIDE = 2;
const PRINTED_CHARS = 200;

const pending = new Map<string, Promise<DecoderCheck>>();

export function checkDecoder(bin: FfmpegBinary = resolveFfmpeg()): Promise<DecoderCheck> {
  let check = pending.get(bin.path);
  if (!check) {
    check = runCheck(bin);
    pending.set(bin.path, check);
  }
  return check;
}

/**
 * The check as a command's precondition: the checked line, or E_FFMPEG_BROKEN naming the binary,
 * where it was found, what it printed and what to do. A missing ffmpeg fails the same way.
 */
export async function requireDecoder(): Promise<string> {
  let bin: FfmpegBinary;
  try {
    bin = resolveFfmpeg();
  } catch (err) {
    if (isAutotuneError(err, 'E_FFMPEG_MISSING')) throw new AutotuneError(err.code, err.message, { hint: err.hint, exitCode: EXIT_VIDEO });
    throw err;
  }
  const check = await checkDecoder(bin);
  if (check.ok) return check.line;
  throw decoderFailure(check);
}

/** E_FFMPEG_BROKEN for a failed check: the binary, where it was found, what it printed, what to do. */
export function decoderFailure(check: Extract<DecoderCheck, { ok: false }>): AutotuneError {
  const { bin } = check;
  return new AutotuneError('E_FFMPEG_BROKEN', `ffmpeg ${bin.path} (${foundWhere(bin)}) ${check.summary}`, {
    hint: whatToDo(bin),
    exitCode: EXIT_VIDEO,
    context: { ffmpeg: bin.path, source: bin.source, failed: check.failed },
  });
}

function foundWhere(bin: FfmpegBinary): string {
  if (bin.source === 'FFMPEG_PATH') return 'set by FFMPEG_PATH';
  if (bin.source === 'PATH') return 'the first ffmpeg on PATH';
  return 'the npm-shipped static build';
}

function whatToDo(bin: FfmpegBinary): string {
  if (bin.source === 'FFMPEG_PATH') return 'point FFMPEG_PATH at a working ffmpeg, or unset it to use the ffmpeg on PATH or the npm-shipped static build';
  if (bin.source === 'PATH') {
    return 'fix PATH or remove that binary, or set FFMPEG_PATH to a working ffmpeg; without an ffmpeg on PATH the npm-shipped static build is used';
  }
  return 'reinstall with npm ci, install ffmpeg (apt-get install ffmpeg), or set FFMPEG_PATH to a working ffmpeg';
}

async function runCheck(bin: FfmpegBinary): Promise<DecoderCheck> {
  const v = await execa(bin.path, ['-hide_banner', '-version'], { reject: false, timeout: TIMEOUT_MS, stdin: 'ignore' });
  const version = /^ffmpeg version (\S+)/m.exec(String(v.stdout))?.[1] ?? null;
  if (v.exitCode !== 0 || version === null) {
    const output = printed(v.stderr, v.stdout);
    const how = v.timedOut
      ? `\`-version\` did not finish within ${TIMEOUT_MS / 1000} s`
      : v.exitCode === undefined
        ? `it could not be started (${v.code ?? v.originalMessage ?? 'no reason given'})`
        : v.exitCode !== 0
          ? `\`-version\` exited ${v.exitCode} and ${output ? `printed "${output}"` : 'printed nothing'}`
          : `\`-version\` printed no "ffmpeg version" line${output ? `, only "${output}"` : ' (nothing at all)'}: it is not ffmpeg`;
    return failure(bin, null, 'run', how);
  }
  const lb = letterbox(TEST_CLIP.width, TEST_CLIP.height, OUT);
  const args = buildFfmpegArgs({ path: null, filter: buildFilterChain({ size: OUT, stride: STRIDE, letterbox: lb, gpu: 'none' }), gpu: 'none' });
  args.splice(args.indexOf('-loglevel') + 1, 1, 'error');
  const d = await execa(bin.path, args, { reject: false, timeout: TIMEOUT_MS, input: TEST_CLIP.bytes(), encoding: 'buffer' });
  const out = Buffer.from(d.stdout as Uint8Array);
  const frameBytes = OUT * OUT * 3;
  const want = Math.ceil(TEST_CLIP.frames / STRIDE);
  const got = Math.floor(out.byteLength / frameBytes);
  const clip = `a ${TEST_CLIP.frames}-frame ${TEST_CLIP.width}x${TEST_CLIP.height} H.264 test clip`;
  const stderr = Buffer.from(d.stderr as Uint8Array).toString();
  if (d.timedOut) return decodeFailure(bin, version, `${clip} did not decode within ${TIMEOUT_MS / 1000} s`);
  if (d.exitCode === undefined) return decodeFailure(bin, version, `it could not be started to decode ${clip} (${d.code ?? d.originalMessage ?? 'no reason given'})`);
  if (out.byteLength !== want * frameBytes) {
    const frames = got === 0 ? 'no frame' : `${got} of ${want} frames`;
    const output = printed(stderr, '');
    return decodeFailure(bin, version, `${clip} gave ${frames} (exit ${d.exitCode})${output ? ` and ffmpeg printed "${output}"` : ''}`);
  }
  // The middle of the first frame is the clip's colour (green): anything else is not a decode of it.
  const at = (OUT / 2) * OUT * 3 + (OUT / 2) * 3;
  const [r, g, b] = [out[at]!, out[at + 1]!, out[at + 2]!];
  if (!(g > r + 40 && g > b + 40)) return decodeFailure(bin, version, `${clip} decoded to the wrong colour (rgb ${r},${g},${b}; expected about ${TEST_CLIP.rgb.join(',')})`);
  return { ok: true, bin, version, line: `decoder: ffmpeg ${version} (${bin.source}: ${bin.path}) decodes H.264` };
}

function decodeFailure(bin: FfmpegBinary, version: string, detail: string): DecoderCheck {
  return failure(bin, version, 'decode', detail);
}

function failure(bin: FfmpegBinary, version: string | null, failed: 'run' | 'decode', detail: string): DecoderCheck {
  const problem = failed === 'run' ? 'cannot run' : 'cannot decode H.264';
  return { ok: false, bin, version, failed, problem, detail, summary: `${problem}: ${detail}` };
}

/** The last lines a program printed, in one bounded line; null when it printed nothing. */
function printed(stderr: unknown, stdout: unknown): string | null {
  const text = [String(stderr ?? ''), String(stdout ?? '')].join('\n');
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return null;
  const last = lines.slice(-2).join(' / ');
  return last.length > PRINTED_CHARS ? `...${last.slice(-PRINTED_CHARS)}` : last;
}
