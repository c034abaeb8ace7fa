// Where the sample videos come from: --url, --urls-file, or a folder served by the lab server.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AutotuneError } from '../errors.js';
import type { VideoRef } from '../pipeline/types.js';

/** URLs from a file: one per line, blank lines and `#` comments ignored. */
export function readUrlsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AutotuneError('E_INPUT', `cannot read --urls-file ${path}: ${(err as Error).message}`, {
      hint: 'pass a text file with one video URL per line',
    });
  }
  const urls = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  urls.forEach((u) => checkUrl(u, `${path}`));
  if (urls.length === 0) {
    throw new AutotuneError('E_INPUT', `--urls-file ${path} lists no URL`, { hint: 'one http(s) URL per line' });
  }
  return urls;
}

export function checkUrl(url: string, where: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AutotuneError('E_INPUT', `${JSON.stringify(url)} (${where}) is not a URL`, { hint: 'use http(s)://host/path.mp4' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AutotuneError('E_INPUT', `${url} (${where}) is not an http(s) URL`, { hint: 'use http(s)://host/path.mp4' });
  }
  return url;
}

export interface LocalSample {
  name: string;
  path: string;
  truthPath: string | undefined;
  size: number;
}

/** The .mp4 files of a folder to serve (sorted; only `names` when given), with their ground truth files when present. */
export function samplesIn(dir: string, names?: readonly string[]): LocalSample[] {
  const full = resolve(dir);
  if (!existsSync(full) || !statSync(full).isDirectory()) {
    throw new AutotuneError('E_NOT_FOUND', `--samples ${dir} is not a folder`, {
      hint: 'make clips with `autotune samples make --out DIR`, or pass a folder of .mp4 files',
    });
  }
  const files = readdirSync(full)
    .filter((f) => f.endsWith('.mp4') && !f.endsWith('.moov-end.mp4') && (names === undefined || names.includes(f)))
    .sort();
  if (files.length === 0) {
    throw new AutotuneError('E_INPUT', `--samples ${dir} holds no .mp4 file`, {
      hint: 'make clips with `autotune samples make --out DIR`',
    });
  }
  return files.map((f) => {
    const path = join(full, f);
    const truth = join(full, `${basename(f, '.mp4')}.truth.json`);
    return { name: f, path, truthPath: existsSync(truth) ? truth : undefined, size: statSync(path).size };
  });
}

export function videoRefsFor(samples: LocalSample[], baseUrl: string): VideoRef[] {
  return samples.map((s) => ({
    url: new URL(encodeURIComponent(s.name), baseUrl).toString(),
    ...(s.truthPath ? { truthPath: s.truthPath } : {}),
  }));
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolvePromise(hash.digest('hex')))
      .on('error', reject);
  });
}

/** "10m", "90s", "1.5h", "300" (seconds) -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) {
    throw new AutotuneError('E_USAGE', `--time-limit ${JSON.stringify(text)} is not a duration`, {
      hint: 'use e.g. 90s, 10m or 1h (a bare number is seconds)',
    });
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
