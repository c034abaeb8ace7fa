// Walks the top-level boxes of an ISO-BMFF (mp4) file from its header bytes only. It is cheap and
// needs no parser: enough to tell whether moov comes before mdat (faststart) and where each box is.

import { open } from 'node:fs/promises';

export interface TopLevelBox {
  /** Four-character type, e.g. 'ftyp', 'moov', 'mdat'. */
  type: string;
  /** Byte offset of the box header in the file. */
  offset: number;
  /** Total size including the header; null when the box runs to the end of a file of unknown size. */
  size: number | null;
  headerSize: number;
}

export interface BoxWalkOptions {
  /** Offset in the file of the buffer's first byte (default 0). */
  fileStart?: number;
  /** Total file size, when known (resolves size-0 'to end of file' boxes). */
  fileSize?: number;
}

/**
 * Top-level boxes whose header lies inside `buffer`. The last box may extend past the buffer (a
 * prefix); the walk stops at the first header that is not entirely inside it or is malformed.
 */
export function topLevelBoxes(buffer: Uint8Array, options: BoxWalkOptions = {}): TopLevelBox[] {
  const fileStart = options.fileStart ?? 0;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const boxes: TopLevelBox[] = [];
  let at = 0;
  while (at + 8 <= buffer.byteLength) {
    const header = parseHeader(view, at, buffer.byteLength);
    if (!header) break;
    const offset = fileStart + at;
    const size = header.size === 0 ? (options.fileSize !== undefined ? options.fileSize - offset : null) : header.size;
    boxes.push({ type: header.type, offset, size, headerSize: header.headerSize });
    if (size === null) break;
    at += size;
  }
  return boxes;
}

/** The same walk on a file, reading only the box headers (a few bytes per box). */
export async function readTopLevelBoxes(path: string): Promise<{ boxes: TopLevelBox[]; fileSize: number }> {
  const handle = await open(path, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const boxes: TopLevelBox[] = [];
    const head = Buffer.alloc(16);
    let offset = 0;
    while (offset + 8 <= fileSize) {
      const { bytesRead } = await handle.read(head, 0, 16, offset);
      const view = new DataView(head.buffer, head.byteOffset, bytesRead);
      const header = parseHeader(view, 0, bytesRead);
      if (!header) break;
      const size = header.size === 0 ? fileSize - offset : header.size;
      boxes.push({ type: header.type, offset, size, headerSize: header.headerSize });
      offset += size;
    }
    return { boxes, fileSize };
  } finally {
    await handle.close();
  }
}

function parseHeader(view: DataView, at: number, end: number) {
  const size32 = view.getUint32(at);
  const type = String.fromCharCode(
    view.getUint8(at + 4),
    view.getUint8(at + 5),
    view.getUint8(at + 6),
    view.getUint8(at + 7),
  );
  if (!/^[\x20-\x7e]{4}$/.test(type)) return null;
  if (size32 === 1) {
    if (at + 16 > end) return null;
    const size = Number(view.getBigUint64(at + 8));
    return size >= 16 ? { type, size, headerSize: 16 } : null;
  }
  if (size32 !== 0 && size32 < 8) return null;
  return { type, size: size32, headerSize: 8 };
}

/** Faststart means the moov box comes before the first mdat. */
export function moovBeforeMdat(boxes: readonly TopLevelBox[]): boolean | null {
  const moov = boxes.findIndex((b) => b.type === 'moov');
  const mdat = boxes.findIndex((b) => b.type === 'mdat');
  if (moov >= 0 && (mdat < 0 || moov < mdat)) return true;
  if (mdat >= 0 && (moov < 0 || mdat < moov)) return false;
  return null;
}
