// Encodes rgb24 frames to H.264 mp4 through an ffmpeg subprocess fed on stdin, waiting for the pipe
// to drain so memory stays flat however long the clip.

import { execa } from 'execa';
import { once } from 'node:events';
import { AutotuneError } from '../../errors.js';
import { resolveFfmpeg } from '../../util/ffmpeg.js';

export interface EncodeSettings {
  width: number;
  height: number;
  fps: number;
  /** Target bitrate in bit/s. */
  bitrate: number;
}

// 4 Mbit/s at 1280x720 (a 30 s clip lands near 15 MB, like a real SN44 chunk); other sizes keep
// the same bits per pixel.
export function bitrateFor(width: number, height: number): number {
  return Math.max(300_000, Math.round((4_000_000 * width * height) / (1280 * 720)));
}

export function encoderArgs(path: string, s: EncodeSettings): string[] {
  const kbps = Math.round(s.bitrate / 1000);
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${s.width}x${s.height}`, '-r', String(s.fps), '-i', '-',
    // Temporal noise gives flat synthetic colours the texture of real footage (and a real bitrate).
    '-vf', 'noise=alls=8:allf=t',
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-b:v', `${kbps}k`, '-maxrate', `${Math.round(kbps * 1.125)}k`, '-bufsize', `${kbps * 2}k`,
    // Same seed, same bytes: x264's frame threads make ABR output vary from run to run (measured),
    // slice threads with a fixed count do not, on any number of cores.
    '-x264-params', 'threads=2:sliced-threads=1',
    '-movflags', '+faststart',
    path,
  ];
}

export async function encodeFrames(path: string, settings: EncodeSettings, frames: Iterable<Buffer>): Promise<void> {
  const ffmpeg = resolveFfmpeg();
  const child = execa(ffmpeg.path, encoderArgs(path, settings), {
    stdin: 'pipe',
    stdout: 'ignore',
    stderr: 'pipe',
    reject: false,
  });
  const stdin = child.stdin!;
  let broken = false;
  stdin.on('error', () => {
    broken = true; // EPIPE when ffmpeg exits early; its stderr says why
  });
  let exited = false;
  const exit = child.then(() => {
    exited = true;
  });
  for (const frame of frames) {
    if (broken || exited) break;
    if (!stdin.write(frame)) await Promise.race([once(stdin, 'drain').catch(() => undefined), exit]);
  }
  stdin.end();
  const result = await child;
  if (result.exitCode !== 0 || broken) {
    throw new AutotuneError('E_FFMPEG', `ffmpeg could not encode ${path}: ${lastLine(String(result.stderr ?? ''))}`, {
      hint: 'run autotune doctor to check ffmpeg',
      context: { args: encoderArgs(path, settings), exitCode: result.exitCode },
    });
  }
}

/** Copies the streams into a second mp4 without faststart, so its moov box comes after mdat. */
export async function remuxMoovAtEnd(input: string, output: string): Promise<void> {
  const ffmpeg = resolveFfmpeg();
  const result = await execa(
    ffmpeg.path,
    ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-map', '0', '-c', 'copy', output],
    { reject: false },
  );
  if (result.exitCode !== 0) {
    throw new AutotuneError('E_FFMPEG', `ffmpeg could not remux ${input} to ${output}: ${lastLine(result.stderr)}`, {
      hint: 'run autotune doctor to check ffmpeg',
    });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() || 'no message';
}
