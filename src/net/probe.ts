// `autotune net probe`: measures the link to a video URL, the video's container and the host's TCP
// settings, as one JSON-serialisable NetProbe.
import { AutotuneError } from '../errors.js';
import { openTrackedAgent } from '../pipeline/fetch/index.js';
import { CHALLENGE_FRAMES, videoFacts } from './container-facts.js';
import { checkRange, rangedGet } from './http-probe.js';
import { readTcpSettings } from './tcp-settings.js';
import { median, tcpConnectMs, timedLookup, tlsHandshake, type Endpoint } from './timing.js';
import type { NetProbe, ThroughputFacts } from './types.js';

export interface ProbeOptions {
  /** PEM text of an extra trusted CA (e.g. the lab server's). */
  ca?: string;
  /** Samples of the TCP handshake and of the warm request round trip. */
  samples?: number;
  /** Size of the ranged download that measures throughput. */
  throughputBytes?: number;
  /** Frames whose byte need is reported besides the challenge's 750. */
  frames?: number;
  /** Where the host's TCP settings are read (default /proc/sys). */
  procSys?: string;
  /** Longest time the throughput download may take (default 10 s); the rate is measured over what came. */
  timeLimitS?: number;
  /** Longest silence (no response or no body byte) before a read stops as a stall (default 10 s). */
  idleS?: number;
}

export async function probeNetwork(url: string, options: ProbeOptions = {}): Promise<NetProbe> {
  const samples = Math.max(1, Math.round(options.samples ?? 5));
  const throughputBytes = Math.max(1024, Math.round(options.throughputBytes ?? 4 * 1024 * 1024));
  const frames = Math.max(1, Math.round(options.frames ?? CHALLENGE_FRAMES));
  const target = parseProbeUrl(url);
  const at = new Date().toISOString();

  const dns = await timedLookup(target.host);
  const endpoint: Endpoint = { host: target.host, port: target.port, address: dns.address };
  const connectSamples: number[] = [];
  for (let i = 0; i < samples; i++) connectSamples.push(await tcpConnectMs(endpoint));
  const tls = target.scheme === 'https' ? await tlsHandshake(endpoint, options.ca) : null;

  const tracked = openTrackedAgent({ allowH2: target.scheme === 'https', ca: options.ca, keepAliveMs: 30_000 });
  try {
    const last = throughputBytes - 1;
    const limits = { timeLimitMs: (options.timeLimitS ?? 10) * 1000, idleMs: (options.idleS ?? 10) * 1000 };
    const download = await rangedGet(tracked.agent, url, 0, last, throughputBytes, limits);
    const range = checkRange(download, 0, last);
    const throughput = rate(download, tracked.protocol ?? 'http/1.1');

    const rttSamples: number[] = [];
    for (let i = 0; i < samples; i++) rttSamples.push((await rangedGet(tracked.agent, url, 0, 0, 1, limits)).headMs);

    const fetchRange = async (start: number, end: number) => {
      const part = range.honoured ? await rangedGet(tracked.agent, url, start, end, end - start + 1, limits) : await rangedGet(tracked.agent, url, start, end, end + 1, limits);
      if (part.stopped) throw new Error(`bytes ${start}-${end} of the file could not be read: ${part.stopped.message}`);
      return range.honoured ? part.body : part.body.subarray(start);
    };
    const video = await videoFacts(download.body, range.size, fetchRange, frames);

    const connect = { samplesMs: connectSamples.map(round), medianMs: round(median(connectSamples)) };
    const requestRtt = { samplesMs: rttSamples.map(round), medianMs: round(median(rttSamples)) };
    const probe: NetProbe = {
      url,
      ...(download.redirects.length > 0 ? { finalUrl: download.finalUrl, redirects: download.redirects } : {}),
      host: target.host,
      port: target.port,
      scheme: target.scheme,
      at,
      address: dns.address,
      dnsMs: round(dns.ms),
      connect,
      requestRtt,
      rttMs: Math.max(connect.medianMs, requestRtt.medianMs),
      tls: tls ? { connectMs: round(tls.connectMs), handshakeMs: round(tls.handshakeMs), alpn: tls.alpn, h2Offered: tls.alpn === 'h2' } : null,
      ttfbMs: round(download.firstByteMs),
      throughput,
      range: { honoured: range.honoured, status: download.status, contentRange: download.contentRange, size: range.size },
      video,
      tcp: readTcpSettings(options.procSys),
      warnings: [],
    };
    probe.warnings = warningsFor(probe);
    return probe;
  } finally {
    await tracked.close();
  }
}

function parseProbeUrl(url: string): { scheme: 'http' | 'https'; host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AutotuneError('E_USAGE', `not a valid URL: ${JSON.stringify(url)}`, { hint: 'give a full http:// or https:// URL of a video' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AutotuneError('E_USAGE', `unsupported URL scheme ${parsed.protocol} in ${url}`, { hint: 'give an http:// or https:// URL' });
  }
  const scheme = parsed.protocol === 'https:' ? 'https' : 'http';
  return { scheme, host: parsed.hostname, port: parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 80 };
}

/** Rate over the body after its first chunk (the first chunk's arrival is the TTFB). */
function rate(download: Awaited<ReturnType<typeof rangedGet>>, protocol: 'h2' | 'http/1.1'): ThroughputFacts {
  const timedBytes = download.body.length - download.firstChunkBytes;
  const usable = timedBytes > 0 && download.transferMs >= 1;
  const seconds = (usable ? download.transferMs : Math.max(download.firstByteMs, 1)) / 1000;
  const bytes = usable ? timedBytes : download.body.length;
  const mbPerS = bytes / seconds / 1e6;
  return {
    bytes: download.body.length,
    seconds: round3(seconds),
    mbitPerS: round3(mbPerS * 8),
    mbPerS: round3(mbPerS),
    protocol,
    ...(download.stopped ? { stopped: download.stopped } : {}),
  };
}

function warningsFor(p: NetProbe): string[] {
  const out: string[] = [];
  if (p.video && !p.video.error && !p.video.faststart) {
    out.push('the video is not faststart (moov after mdat): prefix and streaming modes cannot work on it (PARTIAL_DOWNLOAD=1 and CHUNKED_STREAMING=1 fail)');
  }
  if (p.video?.error) out.push(`container facts unavailable: ${p.video.error}`);
  if (!p.range.honoured) out.push(`Range is not honoured (status ${p.range.status}): a prefix download fetches the whole file`);
  if (p.tls && !p.tls.h2Offered) out.push('the server does not offer HTTP/2 (ALPN): ENABLE_HTTP2=1 has no effect');
  const stopped = p.throughput.stopped;
  if (stopped) out.push(`the throughput download ${stopped.reason === 'time-limit' ? '' : 'failed: '}${stopped.message}: the rate is measured over those bytes only`);
  if (p.throughput.bytes < 1024 * 1024) out.push(`throughput measured over only ${p.throughput.bytes} bytes: a rough figure`);
  const v = p.video;
  if (v?.framesWhole !== undefined && v.framesWhole !== null && v.frameCount !== null && v.framesWhole < v.frameCount) {
    out.push(`the file is truncated: it has ${v.size} bytes but its moov indexes ${v.mediaBytes}; only ${v.framesWhole} of its ${v.frameCount} frames are whole`);
  }
  if (p.finalUrl) out.push(`${p.url} redirects to ${p.finalUrl} (${p.redirects!.length} redirect(s)); a miner follows them on every challenge`);
  return out;
}

const round = (v: number) => Math.round(v * 10) / 10;
const round3 = (v: number) => Math.round(v * 1000) / 1000;
