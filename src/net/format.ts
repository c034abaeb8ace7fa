// The readable form of a NetProbe for the terminal.
import { bytes, formatTable } from '../util/format.js';
import { TCP_SETTING_KEYS } from './tcp-settings.js';
import type { NetProbe, TcpSettings } from './types.js';

interface Row {
  what: string;
  value: string;
}

export function formatProbe(p: NetProbe): string {
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${v.toFixed(1)} ms`);
  const v = p.video;
  const rows: Row[] = [
    { what: 'url', value: p.url },
    ...(p.finalUrl ? [{ what: 'redirected to', value: `${p.finalUrl} (${p.redirects?.length ?? 1} redirect(s))` }] : []),
    { what: 'address', value: `${p.address}:${p.port}` },
    { what: 'dns lookup', value: ms(p.dnsMs) },
    { what: 'tcp connect (median)', value: `${ms(p.connect.medianMs)}  [${p.connect.samplesMs.join(', ')}]` },
    { what: 'request rtt (median)', value: `${ms(p.requestRtt.medianMs)}  [${p.requestRtt.samplesMs.join(', ')}]` },
    { what: 'rtt used for sizing', value: ms(p.rttMs) },
    { what: 'tls handshake', value: p.tls ? `${ms(p.tls.handshakeMs)}, alpn ${p.tls.alpn ?? 'none'}` : '- (http)' },
    { what: 'http/2 offered', value: p.tls ? (p.tls.h2Offered ? 'yes' : 'no') : 'no (plain http)' },
    { what: 'time to first byte', value: ms(p.ttfbMs) },
    {
      what: 'throughput',
      value:
        `${p.throughput.mbitPerS.toFixed(2)} Mbit/s (${p.throughput.mbPerS.toFixed(3)} MB/s) over ${bytes(p.throughput.bytes)} in ${p.throughput.seconds.toFixed(1)} s, ${p.throughput.protocol}` +
        (p.throughput.stopped ? ` (${p.throughput.stopped.reason === 'time-limit' ? 'stopped at the time limit' : `incomplete: ${p.throughput.stopped.reason}`})` : ''),
    },
    { what: 'range honoured', value: `${p.range.honoured ? 'yes' : 'no'} (status ${p.range.status}${p.range.contentRange ? `, ${p.range.contentRange}` : ''})` },
    { what: 'video size', value: bytes(v?.size ?? p.range.size) },
  ];
  if (v && !v.error) {
    const truncated = v.framesWhole !== undefined && v.framesWhole !== null && v.frameCount !== null && v.framesWhole < v.frameCount;
    const beyond = (n: number | null) => (truncated && n !== null && v.size !== null && n > v.size ? ` (more than the file's ${bytes(v.size)}: TRUNCATED)` : '');
    rows.push(
      { what: 'faststart', value: `${v.faststart ? 'yes' : 'NO'} (moov at ${v.moovOffset}, mdat at ${v.mdatOffset})` },
      { what: 'video', value: `${v.width}x${v.height}, ${v.fps} fps, ${v.frameCount} frames${truncated ? ` (only ${v.framesWhole} whole: the file is TRUNCATED)` : ''}` },
      { what: 'bytes for 750 frames', value: `${bytes(v.bytesFor750)}${beyond(v.bytesFor750)}` },
    );
    if (v.framesRequested !== 750) rows.push({ what: `bytes for ${v.framesRequested} frames`, value: `${bytes(v.bytesForRequested)}${beyond(v.bytesForRequested)}` });
  } else if (v?.error) rows.push({ what: 'container', value: v.error });
  for (const [field, key] of Object.entries(TCP_SETTING_KEYS)) {
    const value = p.tcp[field as keyof TcpSettings];
    rows.push({ what: key, value: value === null ? '(unreadable)' : Array.isArray(value) ? value.join(' ') : String(value) });
  }
  const table = formatTable(rows, [
    { header: 'measure', value: (r) => r.what },
    { header: 'value', value: (r) => r.value },
  ]);
  return [table, ...p.warnings.map((w) => `warning: ${w}`)].join('\n');
}
