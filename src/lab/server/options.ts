import { statSync } from 'node:fs';
import path from 'node:path';
import { AutotuneError } from '../../errors.js';
import { parseFault, type Fault } from './fault.js';
import { resolveLinkProfile, type LinkProfile } from './profiles.js';

export interface RequestRecord {
  method: string;
  path: string;
  range: string | null;
  status: number;
  protocol: 'h2' | 'https/1.1' | 'http/1.1';
  bytes: number;
  ms: number;
}

export interface LabServerOptions {
  /** Folder whose files are served. */
  dir: string;
  host?: string;
  /** HTTPS port (HTTP/2 with HTTP/1.1 fallback); 0 picks a free one. */
  port?: number;
  /** Plain HTTP/1.1 port; 0 picks a free one. */
  httpPort?: number;
  profile?: string;
  /** Overrides the profile's bandwidth, in Mbit/s. */
  rateMbps?: number;
  /** Overrides the profile's round-trip time, in ms. */
  rttMs?: number;
  /** A Fault or a --fault string such as `stall-after=65536`. */
  fault?: Fault | string | null;
  /** Where to write the certificate; a temporary folder (removed on close) by default. */
  certDir?: string;
  /** One line per request. */
  log?: (line: string) => void;
  /** The same request, structured. */
  onRequest?: (record: RequestRecord) => void;
}

export interface NormalizedLabServerOptions {
  dir: string;
  host: string;
  port: number;
  httpPort: number;
  link: LinkProfile;
  fault: Fault | null;
  certDir: string | undefined;
  log: (line: string) => void;
  onRequest: (record: RequestRecord) => void;
}

function checkPort(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new AutotuneError('E_USAGE', `${name} must be a port number 0-65535, got ${value}`, {
      hint: 'use 0 to pick a free port',
    });
  }
  return value;
}

function checkDir(dir: string): string {
  const full = path.resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    throw new AutotuneError('E_NOT_FOUND', `the folder to serve does not exist: ${full}`, {
      hint: 'make samples first with `autotune samples make`, or pass --dir with an existing folder',
      context: { dir: full },
    });
  }
  if (!isDir) {
    throw new AutotuneError('E_INPUT', `--dir must be a folder, got a file: ${full}`, {
      hint: 'pass the folder that holds the samples',
    });
  }
  return full;
}

export function normalizeLabServerOptions(options: LabServerOptions): NormalizedLabServerOptions {
  const overrides: { rateMbps?: number; rttMs?: number } = {};
  if (options.rateMbps !== undefined) overrides.rateMbps = options.rateMbps;
  if (options.rttMs !== undefined) overrides.rttMs = options.rttMs;
  const fault = options.fault ?? null;
  return {
    dir: checkDir(options.dir),
    host: options.host ?? '127.0.0.1',
    port: checkPort('--port', options.port ?? 0),
    httpPort: checkPort('--http-port', options.httpPort ?? 0),
    link: resolveLinkProfile(options.profile ?? 'lan', overrides),
    fault: typeof fault === 'string' ? parseFault(fault) : fault,
    certDir: options.certDir,
    log: options.log ?? (() => {}),
    onRequest: options.onRequest ?? (() => {}),
  };
}
