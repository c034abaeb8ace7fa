// What `autotune net probe` measures about a link, a video and the host's TCP stack.
// Plain data (JSON-serialisable): it is stored with a study and feeds the sysctl generator.

/** The host's TCP settings as read from /proc/sys at probe time; null = missing or unreadable. */
export interface TcpSettings {
  congestionControl: string | null;
  availableCongestionControl: string[] | null;
  /** net.ipv4.tcp_rmem: min, default, max (bytes). */
  rmem: [number, number, number] | null;
  wmem: [number, number, number] | null;
  coreRmemMax: number | null;
  coreWmemMax: number | null;
  windowScaling: number | null;
  fastOpen: number | null;
  slowStartAfterIdle: number | null;
  defaultQdisc: string | null;
}

export interface Samples {
  samplesMs: number[];
  medianMs: number;
}

export interface TlsFacts {
  /** TCP connect of the connection the handshake was timed on. */
  connectMs: number;
  handshakeMs: number;
  /** The protocol the server picked from our ALPN offer ['h2', 'http/1.1']; null when none. */
  alpn: string | null;
  h2Offered: boolean;
}

export interface ThroughputFacts {
  bytes: number;
  seconds: number;
  mbitPerS: number;
  /** Megabytes (10^6 bytes) per second. */
  mbPerS: number;
  protocol: 'h2' | 'http/1.1';
  /** Set when the download stopped early: the time limit, a stall or a broken connection. */
  stopped?: { reason: 'time-limit' | 'stall' | 'reset'; message: string };
}

export interface RangeFacts {
  honoured: boolean;
  status: number;
  contentRange: string | null;
  /** Total size from Content-Range (or Content-Length on a 200). */
  size: number | null;
}

export interface VideoFacts {
  size: number | null;
  faststart: boolean;
  moovOffset: number | null;
  mdatOffset: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  frameCount: number | null;
  /** Bytes from the start of the file needed to decode the first 750 frames (a challenge). */
  bytesFor750: number | null;
  framesRequested: number;
  bytesForRequested: number | null;
  /** Bytes the moov's sample table reaches (the whole media), and the frames whose bytes the file holds. */
  mediaBytes?: number | null;
  framesWhole?: number | null;
  /** Set when the container could not be read at all. */
  error: string | null;
}

export interface NetProbe {
  url: string;
  /** The URL that answered when the server redirected, and each redirect target. */
  finalUrl?: string;
  redirects?: string[];
  host: string;
  port: number;
  scheme: 'http' | 'https';
  /** ISO time the probe started. */
  at: string;
  address: string;
  /** dns.lookup time; 0 for an IP literal. */
  dnsMs: number;
  /** TCP handshake (net.connect) samples. */
  connect: Samples;
  /** Tiny ranged requests on a warm connection: request to first byte. */
  requestRtt: Samples;
  /** The round-trip time the miner's requests see: the larger of the two medians above. */
  rttMs: number;
  tls: TlsFacts | null;
  /** Fresh connection, request start to the first body byte (connect + TLS + server). */
  ttfbMs: number;
  throughput: ThroughputFacts;
  range: RangeFacts;
  video: VideoFacts | null;
  tcp: TcpSettings;
  warnings: string[];
}
