import type { CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';

// One module per command, each a thin layer over the library code. A command's module (and the
// libraries under it: onnxruntime, vega, pg, the lab server) loads only when that command runs, so
// `autotune trials` or `--help` does not pay for `run`'s start-up.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function lazy(command: string, describe: string, load: () => Promise<CommandBody<any>>): CommandModule<any, any> {
  return {
    command,
    describe,
    builder: async (y) => (await load()).builder(y),
    handler: async (args) => (await load()).handler(args),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  lazy('doctor', 'Check ffmpeg, NVDEC, onnxruntime providers, GPU and TCP settings on this host', async () => (await import('./doctor.js')).doctorCommand),
  lazy('samples <command>', 'Synthetic sample clips for the lab', async () => (await import('./samples.js')).samplesCommand),
  lazy('lab <command>', 'The local lab: a CDN stand-in for sample clips, and a stand-in miner', async () => (await import('./lab.js')).labCommand),
  lazy('apply', 'merge tuned values into a miner .env (backup first), restart it under pm2, install sysctl tweaks; or roll back', async () => (await import('./apply.js')).applyCommand),
  lazy('net <command>', 'network measurements', async () => (await import('./net.js')).netCommand),
  lazy('run', 'Tune: measure configs of a search space on sample videos and store every challenge', async () => (await import('./run.js')).runCommand),
  lazy('trials', 'List the trials of a study, ranked: feasible first, then by the objective', async () => (await import('./trials.js')).trialsCommand),
  lazy('show <number>', 'Show one trial: its params, figures and every measurement with its stage times', async () => (await import('./show.js')).showCommand),
  lazy('emit', "Write the study's winner: DIR/best.env, DIR/sysctl.conf (+ apply/revert scripts), DIR/summary.json, DIR/report.html", async () => (await import('./emit.js')).emitCommand),
  lazy('export', "Write every challenge of a study as a replay table (CSV): a column per knob, then video, repeat, total_s, accuracy, coverage, failed", async () => (await import('./export.js')).exportCommand),
  lazy('report', 'Write the study as one HTML file: ranking, time vs accuracy, stages, knob effects, SN44 vs t_min', async () => (await import('./report.js')).reportCommand),
  lazy('demo', 'Run the whole loop on the built-in lab: clips, model, lab server, a short study, emitted files', async () => (await import('./demo.js')).demoCommand),
  lazy('model <command>', 'the lab detector model', async () => (await import('./model.js')).modelCommand),
  lazy('infer <clip>', 'run a YOLO ONNX model on every frame of a local clip: frames/s, provider, F1 against a truth file', async () => (await import('./infer.js')).inferCommand),
  lazy('diagnose <url>', 'run one challenge on a video URL with a miner config: stage timeline, bottleneck, frames, accuracy, SN44 estimate', async () => (await import('./diagnose.js')).diagnoseCommand),
  lazy('store <command>', 'the results store: copy studies between SQLite files and PostgreSQL databases', async () => (await import('./store.js')).storeCommand),
];
