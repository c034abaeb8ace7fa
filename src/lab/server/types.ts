import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

// The server answers through Node's compatibility API, the same for HTTP/1.1 and HTTP/2.
export type LabRequest = IncomingMessage | Http2ServerRequest;
export type LabResponse = ServerResponse | Http2ServerResponse;

/** What the body writer needs from either response type. */
export interface BodySink {
  write(chunk: Buffer, callback?: (err?: Error | null) => void): boolean;
  end(): void;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
  readonly writable: boolean;
  readonly writableEnded: boolean;
}

export function bodySink(res: LabResponse): BodySink {
  return res as unknown as BodySink;
}
