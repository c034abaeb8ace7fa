// Reads ffmpeg's stderr as it arrives: the input video stream's description (codec, size, fps),
// signs that the moov atom was missing or unusable, and a bounded tail for error messages.

export interface StreamDescription {
  codec: string;
  width: number;
  height: number;
  fps: number | null;
}

const TAIL_CHARS = 4000;

export class StderrWatcher {
  private pending = '';
  private tail = '';
  private inInput = true;
  stream: StreamDescription | null = null;
  moovNotFound = false;
  partialFile = false;
  invalidData = false;
  /** ffmpeg read the input but found no video stream to map (e.g. an audio-only mp4). */
  noVideoStream = false;

  constructor(private readonly onStream: (s: StreamDescription) => void) {}

  push(chunk: Buffer | string): void {
    const text = String(chunk);
    this.tail = (this.tail + text).slice(-TAIL_CHARS);
    const lines = (this.pending + text).split(/\r?\n|\r/);
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  end(): void {
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }

  tailText(): string {
    return this.tail.trim();
  }

  /** The last line that looks like an error, for one-line messages. */
  lastErrorLine(): string | null {
    const lines = this.tail
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
    const errorish = lines.filter((l) => /error|invalid|not found|failed|cannot|could not|no such|unknown/i.test(l));
    return errorish[errorish.length - 1] ?? lines[lines.length - 1] ?? null;
  }

  private line(line: string): void {
    if (/moov atom not found/i.test(line)) this.moovNotFound = true;
    if (/partial file/i.test(line)) this.partialFile = true;
    if (/Invalid data found when processing input/i.test(line)) this.invalidData = true;
    if (/Stream map '[^']*' matches no streams/i.test(line)) this.noVideoStream = true;
    if (/^Output #\d|^Stream mapping:/.test(line.trim())) this.inInput = false;
    if (this.inInput && !this.stream) {
      const parsed = parseVideoStreamLine(line);
      if (parsed) {
        this.stream = parsed;
        this.onStream(parsed);
      }
    }
  }
}

/** `Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9], 25 fps, ...` */
export function parseVideoStreamLine(line: string): StreamDescription | null {
  const m = /Stream #\d+:\d+.*?: Video: (\w+)(.*)$/.exec(line);
  if (!m) return null;
  const size = /(?:^|[\s,])(\d{2,5})x(\d{2,5})(?=[\s,\[]|$)/.exec(m[2]);
  if (!size) return null;
  const fps = /,\s*([\d.]+)\s*fps\b/.exec(m[2]);
  return {
    codec: m[1],
    width: Number(size[1]),
    height: Number(size[2]),
    fps: fps ? Number(fps[1]) : null,
  };
}
