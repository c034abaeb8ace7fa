import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';
import { AutotuneError } from '../../errors.js';
import { bottleneck, STAGES, type StageDurations } from '../../pipeline/challenge/timeline.js';
import { KNOB_NAMES, normalizeSettings, settingsToConfig } from '../../pipeline/challenge/settings.js';
import type { ChallengeDetail } from '../../pipeline/challenge/run.js';
import { createPipelineEvaluator } from '../../pipeline/evaluator.js';
import { requireDecoder } from '../../pipeline/decode/check.js';
import { challengeFailure } from '../../pipeline/failure.js';
import { referenceConfig } from '../../pipeline/reference/index.js';
import { DEVICES, LAYOUT_KINDS, parseClassMap, type Device, type LayoutKind } from '../../pipeline/infer/index.js';
import type { Config } from '../../pipeline/types.js';
import { readEnvFile } from '../../util/envfile.js';
import { bytes, formatTable, percent, seconds } from '../../util/format.js';
import { snapshotHost } from '../../host/snapshot.js';
import type { ExternalOptions } from '../../miner/factory.js';
import { PIPELINE_EVALUATOR_NAME } from '../../pipeline/factory.js';
import type { ChallengeResult } from '../../pipeline/types.js';
import { openStorage, redact, type Storage } from '../../store/index.js';
import { DIAGNOSE_STUDY, saveDiagnosis } from '../../study/diagnosis.js';
import { checkStudyName } from '../../study/select.js';
import { normalizeEvaluatorArgs, withEvaluatorOptions, type EvaluatorArgs } from '../evaluator-options.js';
import {
  accuracyFloorOption,
  caOption,
  checkModel,
  checkTMin,
  modelOption,
  readCa,
  storageLocation,
  storageOptions,
  tMinOption,
  type StorageArgs,
} from '../options.js';
import { printJson } from '../output.js';
import { createWaitLine, type WaitLine } from '../wait-line.js';

interface DiagnoseArgs extends EvaluatorArgs, StorageArgs {
  url: string;
  env?: string;
  set?: string[];
  model: string;
  ca?: string;
  repeats: number;
  truth?: string;
  't-min': number;
  'reference-img-size': number;
  device: string;
  'pass-through'?: string[];
  'class-map'?: string;
  'model-layout'?: string;
  json: boolean;
  save: boolean;
  study?: string;
}

export const diagnoseCommand: CommandBody<DiagnoseArgs> = {
  builder: (y) =>
    withEvaluatorOptions(
      y
        .positional('url', { type: 'string', demandOption: true, describe: 'video URL (http or https)' })
        .option('env', { type: 'string', describe: "a miner's env file (KEY=VALUE / export KEY=VALUE); its knob lines are used" })
        .option('set', { type: 'string', array: true, describe: 'KEY=VALUE knob, repeatable; wins over --env' })
        .option('model', modelOption)
        .option('ca', caOption)
        .option('repeats', { type: 'number', default: 1, describe: 'run the challenge R times; the median run is shown' })
        .option('truth', { type: 'string', describe: 'ground-truth file of a lab clip, for F1 against truth' })
        .option('t-min', tMinOption)
        .option('reference-img-size', { type: 'number', default: 640, describe: 'IMG_SIZE of the reference run' })
        .option('device', { type: 'string', choices: DEVICES as string[], default: 'auto', describe: 'execution provider' })
        .option('pass-through', { type: 'string', array: true, describe: 'extra knob names allowed in --set' })
        .option('class-map', { type: 'string', describe: 'model class id -> SN44 class, e.g. 0=player,1=goalkeeper,2=referee,32=ball (unlisted classes are dropped)' })
        .option('model-layout', { type: 'string', choices: LAYOUT_KINDS as unknown as string[], describe: 'how to read the model outputs when their shapes do not tell (see README: Your model)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
        .option('save', { type: 'boolean', default: false, describe: 'store the runs as one trial of --study in the results store' })
        .option('study', { type: 'string', describe: `with --save: the study that gets the trial (default "${DIAGNOSE_STUDY}"; made when missing)` })
        .options(storageOptions),
    ) as unknown as Argv<DiagnoseArgs>,
  handler: async (argv) => {
    const options = await normalizeDiagnoseArgs(argv);
    const wait = createWaitLine(process.stderr);
    const log = (line: string) => wait.log(`autotune: ${line}`);
    for (const note of options.notes) log(note);
    // Before the challenge: a decoder that cannot run would fail it as if the video were broken.
    if (!options.external || options.external.reference === 'pipeline') await requireDecoder();
    // Opened first: a store that cannot be reached fails the command before any challenge runs.
    const storage = options.save ? await openStorage(options.save.location) : null;
    try {
      const diagnosis = options.external
        ? await diagnoseExternal(options, options.external, argv.json, log)
        : await diagnosePipeline(options, argv.json, wait, log);
      if (storage) await save(storage, options, diagnosis, log);
      failIfAnyFailed(diagnosis.runs);
    } finally {
      await storage?.close();
    }
  },
};

/** The runs of one diagnosis (printed already) and the name of the evaluator that measured them. */
interface Diagnosis {
  runs: ChallengeResult[];
  evaluator: string;
}

async function diagnosePipeline(options: DiagnoseOptions, json: boolean, wait: WaitLine, log: (line: string) => void): Promise<Diagnosis> {
  const evaluator = createPipelineEvaluator({
    modelPath: options.model,
    device: options.device,
    ca: options.ca,
    referenceConfig: referenceConfig(options.referenceImgSize),
    tMin: options.tMin,
    passThrough: options.passThrough,
    classMap: options.classMap,
    layout: options.layout,
    log,
    onProgress: (p) => wait.progress(p),
  });
  const runs: ChallengeDetail[] = [];
  try {
    for (let i = 0; i < options.repeats; i++) {
      runs.push(await evaluator.evaluate(options.config, { url: options.url, ...(options.truth ? { truthPath: options.truth } : {}) }));
    }
  } finally {
    wait.clear();
    await evaluator.close();
  }
  const median = medianRun(runs);
  if (json) {
    printJson({ ...summary(median, options.effective), ...(runs.length > 1 ? { runs: runs.map((r) => summary(r, options.effective)) } : {}) });
  } else {
    process.stdout.write(`${render(median, runs, options)}\n`);
  }
  return { runs, evaluator: PIPELINE_EVALUATOR_NAME };
}

/** --save: the runs as one finished trial of the study (a failed challenge is stored too). */
async function save(storage: Storage, options: DiagnoseOptions, diagnosis: Diagnosis, log: (line: string) => void): Promise<void> {
  const { location, study } = options.save!;
  const saved = await saveDiagnosis(
    storage,
    {
      name: study,
      objective: { kind: 'fastest-safe', accuracyFloor: accuracyFloorOption.default, tMin: options.tMin },
      settings: {
        evaluator: diagnosis.evaluator,
        source: 'diagnose',
        url: options.url,
        ...(options.external ? {} : { model: options.model, device: options.device }),
        db: redact(location),
      },
      host: snapshotHost(),
    },
    options.effective,
    diagnosis.runs,
  );
  log(`saved as trial ${saved.trial.number} (${saved.trial.state}) of study "${saved.study.name}" in ${storage.path}`);
}

/** The result is printed either way; a failed challenge then exits non-zero (see the README's exit codes). */
function failIfAnyFailed(runs: readonly ChallengeResult[]): void {
  const failed = runs.filter((r) => r.error !== null);
  if (failed.length > 0) {
    throw challengeFailure(failed[0]!.error!, runs.length > 1 ? `${failed.length} of ${runs.length} runs failed; the first` : 'the challenge failed');
  }
}

interface DiagnoseOptions {
  url: string;
  config: Config;
  effective: Config;
  model: string;
  ca: string | undefined;
  device: Device;
  repeats: number;
  truth: string | undefined;
  tMin: number;
  referenceImgSize: number;
  passThrough: string[];
  classMap: Record<number, number> | undefined;
  layout: LayoutKind | undefined;
  notes: string[];
  /** --save: where the trial goes. */
  save: { location: string; study: string } | null;
  /** A running miner or a command instead of the pipeline. */
  external: ExternalOptions | null;
}

async function normalizeDiagnoseArgs(argv: DiagnoseArgs): Promise<DiagnoseOptions> {
  if (!/^https?:\/\//.test(argv.url)) {
    throw new AutotuneError('E_USAGE', `${argv.url} is not an http(s) URL`, { hint: 'pass the video URL, e.g. https://127.0.0.1:8443/clip.mp4' });
  }
  if (!(Number.isInteger(argv.repeats) && argv.repeats >= 1)) {
    throw new AutotuneError('E_USAGE', `--repeats ${argv.repeats} is not a positive integer`);
  }
  checkTMin(argv['t-min']);
  const unsaved = (['study', 'storage', 'db'] as const).filter((k) => argv[k] !== undefined);
  if (!argv.save && unsaved.length > 0) {
    throw new AutotuneError('E_USAGE', `--${unsaved.join(', --')} only matter${unsaved.length === 1 ? 's' : ''} with --save`, {
      hint: 'add --save to store the runs as a trial',
    });
  }
  const save = argv.save ? { location: storageLocation(argv), study: checkStudyName(argv.study) ?? DIAGNOSE_STUDY } : null;
  const passThrough = argv['pass-through'] ?? [];
  const notes: string[] = [];
  const config: Config = {};
  if (argv.env) {
    const env = await readEnvFile(argv.env);
    const ignored: string[] = [];
    for (const [key, value] of Object.entries(env.values)) {
      if ((KNOB_NAMES as readonly string[]).includes(key) || passThrough.includes(key)) config[key] = value;
      else ignored.push(key);
    }
    if (ignored.length) notes.push(`${argv.env}: ignored ${ignored.length} variable(s) that are not knobs: ${ignored.join(', ')}`);
  }
  for (const pair of argv.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new AutotuneError('E_USAGE', `--set ${pair} is not KEY=VALUE`, { hint: 'e.g. --set FRAME_STRIDE=1' });
    config[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  const classMap = argv['class-map'] === undefined ? undefined : parseClassMap(argv['class-map']);
  const layout = argv['model-layout'] as LayoutKind | undefined;
  const external = normalizeEvaluatorArgs(argv, {
    tMin: argv['t-min'],
    pipeline: { model: argv.model, device: argv.device as Device, classMap, layout },
    allowNoRestart: true,
  });
  if (external?.target.kind === 'miner' && external.target.restart === null && Object.keys(config).length > 0) {
    throw new AutotuneError('E_USAGE', '--env/--set with --evaluator miner restart the miner with those knobs: that needs --miner-dir and --pm2 or --restart-command', {
      hint: 'add them, or drop --env/--set to measure the miner as it runs',
    });
  }
  // The pipeline fills the fork's defaults; a miner is measured with exactly the knobs given.
  const effective = external ? config : settingsToConfig(normalizeSettings(config, { passThrough }));
  if (!external || external.reference === 'pipeline') checkModel(argv.model);
  const ca = readCa(argv.ca)?.pem;
  if (argv.truth && !existsSync(argv.truth)) {
    throw new AutotuneError('E_NOT_FOUND', `truth file ${argv.truth} not found`, { hint: 'pass the <clip>.truth.json beside the lab clip' });
  }
  return {
    url: argv.url,
    config,
    effective,
    model: argv.model,
    ca,
    device: argv.device as Device,
    repeats: argv.repeats,
    truth: argv.truth,
    tMin: argv['t-min'],
    referenceImgSize: argv['reference-img-size'],
    passThrough,
    classMap,
    layout,
    notes,
    save,
    external,
  };
}

/** One challenge through a running miner or a command, with what a validator would see of it. */
async function diagnoseExternal(o: DiagnoseOptions, external: ExternalOptions, json: boolean, log: (line: string) => void): Promise<Diagnosis> {
  const { externalEvaluatorFactory, memoryReferences } = await import('../../miner/factory.js');
  const video = { url: o.url, ...(o.truth ? { truthPath: o.truth } : {}) };
  // Without a space there is no reference config to restart the miner into: the pipeline's reference or none.
  const factory = externalEvaluatorFactory({ ...external, reference: external.reference === 'pipeline' ? 'pipeline' : 'none' });
  const evaluator = await factory.create({
    reference: referenceConfig(o.referenceImgSize),
    ca: o.ca,
    tMin: o.tMin,
    references: memoryReferences(),
    videos: [video],
    log,
  });
  const runs: ChallengeResult[] = [];
  try {
    for (let i = 0; i < o.repeats; i++) runs.push(await evaluator.evaluate(o.config, video));
  } finally {
    await evaluator.close();
  }
  const r = medianRun(runs);
  const via = external.target.kind === 'miner' ? `miner ${external.target.url} (${external.protocol})` : `command ${external.target.argv.join(' ')}`;
  if (json) {
    const { answer: _answer, ...figures } = r;
    printJson({ ...figures, via, ...(runs.length > 1 ? { runs: runs.map(({ answer: _a, ...x }) => x) } : {}) });
  } else {
    process.stdout.write(`${renderExternal(r, runs, o, external, via)}\n`);
  }
  return { runs, evaluator: factory.name };
}

function renderExternal(r: ChallengeResult, runs: readonly ChallengeResult[], o: DiagnoseOptions, external: ExternalOptions, via: string): string {
  const lines = [
    `challenge ${r.url} via ${via}${runs.length > 1 ? ` (median of ${runs.length} runs by total time)` : ''}`,
    `config       ${Object.keys(o.config).length ? Object.entries(o.config).map(([k, v]) => `${k}=${v}`).join(' ') : 'as the miner runs now (no restart)'}`,
    ...(r.setupS != null ? [`restart      ${seconds(r.setupS)} from the restart to the first answer (not part of the challenge)`] : []),
    `reply        head ${seconds(r.timeline.firstByte)}, last byte ${seconds(r.timeline.total)} (the validator's time), ${bytes(r.bytes)}`,
    `frames       answered ${r.framesAnswered}, in video ${r.framesInVideo ?? '-'}`,
    `accuracy     ${r.accuracy === null ? `- (${external.reference === 'pipeline' ? 'no reference' : 'add --reference pipeline --model M for F1 against the pipeline'})` : `F1 ${fixed(r.accuracy)} vs the pipeline's reference`}; coverage ${percent(r.coverage)}${r.truthF1 !== null ? `; F1 ${fixed(r.truthF1)} vs truth` : ''}`,
    `SN44         ${fixed(r.sn44)} estimated (t_min ${o.tMin} s)`,
    `error        ${r.error ? `${r.error.reason}: ${r.error.message}` : 'none'}`,
  ];
  if (runs.length > 1) lines.push(`totals       ${runs.map((x) => seconds(x.timeline.total)).join(', ')}`);
  return lines.join('\n');
}

/** The run with the median total time (failed runs without a total sort last). */
export function medianRun<T extends { timeline: { total: number | null } }>(runs: readonly T[]): T {
  const sorted = [...runs].sort((a, b) => (a.timeline.total ?? Infinity) - (b.timeline.total ?? Infinity));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function summary(r: ChallengeDetail, effective: Config) {
  const slowest = bottleneck(r.stages);
  return {
    url: r.url,
    finalUrl: r.finalUrl,
    redirects: r.redirects,
    config: effective,
    timeline: r.timeline,
    stages: r.stages,
    bottleneck: slowest?.stage ?? null,
    bytes: r.bytes,
    protocol: r.protocol,
    framesDecoded: r.framesDecoded,
    framesAnswered: r.framesAnswered,
    framesInVideo: r.framesInVideo,
    accuracy: r.accuracy,
    coverage: r.coverage,
    truthF1: r.truthF1,
    sn44: r.sn44,
    provider: r.provider,
    decoder: r.decoder,
    decoderNote: r.decoderNote,
    error: r.error,
  };
}

const BAR_WIDTH = 40;

function bar(from: number, to: number, scale: number): string {
  if (!(scale > 0)) return '';
  const start = Math.round((from / scale) * BAR_WIDTH);
  const end = Math.max(start + (to > from ? 1 : 0), Math.round((to / scale) * BAR_WIDTH));
  return `${' '.repeat(start)}${'█'.repeat(end - start)}`.padEnd(BAR_WIDTH, ' ').replace(/ +$/, '');
}

function render(r: ChallengeDetail, runs: readonly ChallengeDetail[], o: DiagnoseOptions): string {
  const t = r.timeline;
  const scale = t.total ?? 0;
  const marks = STAGES.map((stage) => ({ stage, at: t[stage] }));
  const timeline = formatTable(marks, [
    { header: 'mark', value: (m) => m.stage },
    { header: 'at', value: (m) => seconds(m.at), align: 'right' },
    { header: `0 .. ${seconds(scale)}`, value: (m) => (m.at === null ? '' : `|${bar(0, m.at, scale)}`) },
  ]);
  const stages = Object.entries(r.stages) as [keyof StageDurations, number | null][];
  const longest = Math.max(0, ...stages.map(([, s]) => s ?? 0));
  const durations = formatTable(stages, [
    { header: 'stage', value: ([name]) => name },
    { header: 'seconds', value: ([, s]) => seconds(s), align: 'right' },
    { header: '', value: ([, s]) => (s === null ? '' : bar(0, s, longest)) },
  ]);
  const slowest = bottleneck(r.stages);
  const lines = [
    `challenge ${r.url}${runs.length > 1 ? ` (median of ${runs.length} runs by total time)` : ''}`,
    `config ${Object.entries(o.effective).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '',
    timeline,
    '',
    durations,
    '',
    `bottleneck   ${slowest ? `${slowest.stage} (${seconds(slowest.seconds)})` : '-'}`,
    `download     ${bytes(r.bytes)} over ${r.protocol ?? '-'}${r.finalUrl ? ` from ${r.finalUrl} (${r.redirects.length} redirect${r.redirects.length > 1 ? 's' : ''} followed)` : ''}`,
    `frames       decoded ${r.framesDecoded}, answered ${r.framesAnswered}, in video ${r.framesInVideo ?? '-'}`,
    `accuracy     F1 ${fixed(r.accuracy)} vs reference; coverage ${percent(r.coverage)}${r.truthF1 !== null ? `; F1 ${fixed(r.truthF1)} vs truth` : ''}`,
    `SN44         ${fixed(r.sn44)} estimated (t_min ${o.tMin} s)`,
    `runtime      provider ${r.provider ?? '-'}; decoder ${r.decoder ?? '-'}${r.decoderNote ? ` (${r.decoderNote})` : ''}`,
    `error        ${r.error ? `${r.error.reason}: ${r.error.message}` : 'none'}`,
  ];
  if (runs.length > 1) {
    lines.push(`totals       ${runs.map((x) => seconds(x.timeline.total)).join(', ')}`);
  }
  return lines.join('\n');
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(3);
}
