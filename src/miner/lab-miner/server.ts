// `autotune lab miner`: the project's pipeline behind the sn44 endpoint, a stand-in for a real miner.
// Like the fork it reads its knobs from the environment once at start (so `pm2 restart --update-env`
// changes what it does), loads its detector before it listens, and answers POST /soccer/challenge.
// GET / tells what it runs with.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AutotuneError, messageOf } from '../../errors.js';
import { KNOB_NAMES, normalizeSettings, settingsToConfig } from '../../pipeline/challenge/settings.js';
import { createPipelineEvaluator } from '../../pipeline/evaluator.js';
import type { Device } from '../../pipeline/infer/index.js';
import type { Config } from '../../pipeline/types.js';
import { sn44Reply } from './answer.js';

export interface LabMinerOptions {
  port: number;
  host?: string;
  modelPath: string;
  device?: Device;
  /** PEM text of an extra CA for the videos (the lab server's certificate). */
  ca?: string | undefined;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface LabMiner {
  url: string;
  /** The knobs it runs with (every knob explicit). */
  config: Config;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 1024 * 1024;

/** The knob variables present in an environment (the rest take the fork's defaults). */
export function knobsFromEnv(env: NodeJS.ProcessEnv): Config {
  const config: Config = {};
  for (const name of KNOB_NAMES) if (env[name] !== undefined && env[name] !== '') config[name] = env[name]!;
  return config;
}

/** Throws E_INPUT for a knob value the pipeline cannot run with (the miner then fails to start). */
export async function startLabMiner(o: LabMinerOptions): Promise<LabMiner> {
  const log = o.log ?? (() => {});
  const knobs = knobsFromEnv(o.env ?? process.env);
  const config = settingsToConfig(normalizeSettings(knobs));
  const evaluator = createPipelineEvaluator({ modelPath: o.modelPath, device: o.device ?? 'auto', ca: o.ca, reference: false, log });
  try {
    await evaluator.prepare(config);
  } catch (err) {
    await evaluator.close();
    throw err;
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { detail: messageOf(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://lab').pathname;
    if (req.method === 'GET' && path === '/') return send(res, 200, { miner: 'autotune lab miner', pid: process.pid, config });
    if (path !== '/soccer/challenge') return send(res, 404, { detail: `no route ${path}` });
    if (req.method !== 'POST') return send(res, 405, { detail: 'POST a challenge' });
    const started = performance.now();
    let challenge: { challenge_id?: unknown; video_url?: unknown };
    try {
      challenge = JSON.parse(await readBody(req));
    } catch (err) {
      return send(res, 400, { detail: `not a JSON challenge: ${messageOf(err)}` });
    }
    if (typeof challenge?.challenge_id !== 'string' || typeof challenge.video_url !== 'string') {
      return send(res, 400, { detail: 'a challenge needs challenge_id and video_url strings' });
    }
    const result = await evaluator.evaluate(config, { url: challenge.video_url });
    if (result.error && result.answer.length === 0) return send(res, 500, { detail: `${result.error.reason}: ${result.error.message}` });
    send(res, 200, sn44Reply(challenge.challenge_id, result.answer, (performance.now() - started) / 1000));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new AutotuneError('E_PORT_IN_USE', `port ${o.port} is in use`, { hint: 'pass another --port' })
          : err,
      ),
    );
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  }).catch(async (err) => {
    await evaluator.close();
    throw err;
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    config,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await evaluator.close();
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new Error('the request is too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
