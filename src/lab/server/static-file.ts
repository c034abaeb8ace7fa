import { stat } from 'node:fs/promises';
import path from 'node:path';

// Maps a request path onto a regular file under the served folder, never outside it.
export type StaticLookup =
  | { kind: 'file'; path: string; size: number; mtimeMs: number; etag: string; lastModified: string }
  | { kind: 'missing' }
  | { kind: 'directory' }
  | { kind: 'bad-path' };

export async function lookupStaticFile(root: string, requestPath: string): Promise<StaticLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath.split('?')[0] ?? '/');
  } catch {
    return { kind: 'bad-path' };
  }
  if (decoded.includes('\0') || !decoded.startsWith('/')) return { kind: 'bad-path' };
  const full = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  if (full !== root && !full.startsWith(root + path.sep)) return { kind: 'bad-path' };
  try {
    const info = await stat(full);
    if (info.isDirectory()) return { kind: 'directory' };
    if (!info.isFile()) return { kind: 'missing' };
    return {
      kind: 'file',
      path: full,
      size: info.size,
      mtimeMs: info.mtimeMs,
      etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      lastModified: info.mtime.toUTCString(),
    };
  } catch {
    return { kind: 'missing' };
  }
}

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
