import type { CommandBody } from '../command-body.js';
import { runDoctor, type DoctorReport } from '../../host/doctor.js';
import { formatTable } from '../../util/format.js';
import { printJson } from '../output.js';

interface DoctorArgs {
  json: boolean;
}

export const doctorCommand: CommandBody<DoctorArgs> = {
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }),
  handler: async (args) => {
    const report = await runDoctor();
    if (args.json) printJson(report);
    else process.stdout.write(`${renderDoctor(report)}\n`);
  },
};

const yes = (ok: boolean) => (ok ? 'yes' : 'no');

function ffmpegRow(f: DoctorReport['ffmpeg']): [string, string, string] {
  if (!f.path) return ['ffmpeg', 'missing', f.error ?? ''];
  const result = `${f.version ?? 'unusable'} (${f.source})`;
  return ['ffmpeg', result, f.error ? `${f.error} (${f.path})` : f.path];
}

export function renderDoctor(r: DoctorReport): string {
  const rows: [string, string, string][] = [
    ffmpegRow(r.ffmpeg),
    r.ffmpeg.path && r.ffmpeg.version === null
      ? ['hwaccels', 'unknown', 'ffmpeg cannot run']
      : ['hwaccels', r.ffmpeg.hwaccels.join(', ') || 'none', r.ffmpeg.cuvidDecoders.length ? `cuvid: ${r.ffmpeg.cuvidDecoders.join(', ')}` : 'no cuvid decoders'],
    ['NVDEC decode', yes(r.nvdec.usable), r.nvdec.reason],
    ...r.providers.map((p): [string, string, string] => [`onnxruntime ${p.name}`, yes(p.usable), p.reason ?? 'a session was created']),
    ['GPU', r.gpu.present ? r.gpu.names.join(', ') : 'none', r.gpu.driver ? `driver ${r.gpu.driver}` : r.gpu.source],
    ['node', r.versions.node, `undici ${r.versions.undici}, onnxruntime-node ${r.versions.onnxruntime}`],
    ['SQLite', r.versions.sqlite, `better-sqlite3 ${r.versions.betterSqlite3}`],
    ['TCP congestion', r.tcp.congestionControl ?? 'unknown', `available: ${(r.tcp.availableCongestionControl ?? []).join(' ') || 'unknown'}`],
  ];
  const table = formatTable(rows, [
    { header: 'check', value: (row) => row[0] },
    { header: 'result', value: (row) => row[1] },
    { header: 'detail', value: (row) => row[2] },
  ]);
  return r.advice.length ? `${table}\n\n${r.advice.map((a) => `- ${a}`).join('\n')}` : table;
}
