// A running miner under a study's control. Switching to a config writes its knobs into the .env and
// restarts the miner with them (restart-to-ready timed); a config the miner cannot start with is
// remembered, the miner put back on its original values, and the config's later challenges fail at
// once with the same reason. `restore` leaves the miner as it was found: the .env byte for byte, the
// process on its original values. A recovery manifest covers a crash in between.

import { createHash } from 'node:crypto';
import { checkMinerDir } from '../apply/miner-dir.js';
import { AutotuneError, messageOf } from '../errors.js';
import type { ChallengeError, Config } from '../pipeline/types.js';
import { backupEnv, envText, removeBackup, restoreEnvFile, snapshotMinerEnv, tunedValuesOf, writeEnvWith, type MinerEnvSnapshot } from './env.js';
import { RESTORE_TIMEOUT_S, restartUntilReady } from './ready.js';
import { recoverMiner, removeRecovery, unsetNote, writeRecovery } from './recovery.js';
import type { Restarter } from './restart/index.js';
import { endpointAnswers } from './send.js';

export interface MinerSessionOptions {
  minerDir: string;
  minerUrl: string;
  restarter: Restarter;
  readyTimeoutS: number;
  log: (line: string) => void;
  now?: () => Date;
}

export interface Switched {
  /** Restart-to-ready seconds; null when the miner already ran this config. */
  setupS: number | null;
  error: ChallengeError | null;
}

/** The config key of "the miner as found". */
const ORIGINAL = '\u0000original';

export class MinerSession {
  private current: string | null = null;
  private readonly failed = new Map<string, ChallengeError>();
  /** Knobs the study has set, and what the miner ran with for each before (null: it had none). */
  private readonly originals = new Map<string, string | null>();
  private backup: string | null = null;
  private changed = false;
  private readonly now: () => Date;

  private constructor(
    private readonly o: MinerSessionOptions,
    private readonly env: MinerEnvSnapshot,
    private readonly startedAt: Date,
  ) {
    this.now = o.now ?? (() => new Date());
  }

  /** Restores what an interrupted study left first, then reads the miner as found; E_MINER when it does not answer. */
  static async open(o: MinerSessionOptions): Promise<MinerSession> {
    checkMinerDir(o.minerDir);
    await o.restarter.check?.();
    await recoverMiner(o.minerDir, { readyTimeoutS: o.readyTimeoutS, log: o.log });
    const env = await snapshotMinerEnv(o.minerDir);
    if (!(await endpointAnswers(o.minerUrl))) {
      throw new AutotuneError('E_MINER', `the miner at ${o.minerUrl} does not answer`, {
        hint: 'start it (and check --miner-url), then run again',
      });
    }
    return new MinerSession(o, env, (o.now ?? (() => new Date()))());
  }

  /** Identifies the miner as found (URL and .env values) for reference keys, without storing the values. */
  identity(protocol: string): string {
    const values = Object.fromEntries(Object.entries(this.env.values).sort(([a], [b]) => a.localeCompare(b)));
    return createHash('sha256').update(JSON.stringify({ url: this.o.minerUrl, protocol, env: values })).digest('hex');
  }

  async switchTo(config: Config, signal?: AbortSignal): Promise<Switched> {
    if (Object.keys(config).length === 0) return this.asFound();
    const key = configKey(config);
    const known = this.failed.get(key);
    if (known) return { setupS: null, error: known };
    if (this.current === key) return { setupS: null, error: null };
    let written = false;
    try {
      const values = tunedValuesOf(config, 'the trial config');
      await this.remember(values.map((v) => v.key));
      written = true;
      await writeEnvWith(this.env, values, `set by autotune run for one trial; the study puts the file back when it ends`);
      this.current = null;
      const setupS = await restartUntilReady(this.o.restarter, Object.fromEntries(values.map((v) => [v.key, v.value])), {
        minerUrl: this.o.minerUrl,
        readyTimeoutS: this.o.readyTimeoutS,
        signal,
      });
      this.current = key;
      return { setupS, error: null };
    } catch (err) {
      const error: ChallengeError = { reason: 'miner-restart', message: messageOf(err) };
      if (!signal?.aborted) this.failed.set(key, error);
      if (!written) return { setupS: null, error };
      this.o.log(`the miner did not come up with ${describe(config)}: ${error.message}; restoring its original values`);
      try {
        await this.putBack(true);
      } catch (again) {
        error.message += `; ${messageOf(again)}`;
        this.o.log(messageOf(again));
      }
      return { setupS: null, error };
    }
  }

  /**
   * A config that sets no knob is the miner as found (diagnose without --env/--set): nothing is written
   * or restarted while no trial changed it; after one, its .env and original values are put back.
   */
  private async asFound(): Promise<Switched> {
    if (!this.changed || this.current === ORIGINAL) return { setupS: null, error: null };
    try {
      return { setupS: await this.putBack(false), error: null };
    } catch (err) {
      return { setupS: null, error: { reason: 'miner-restart', message: messageOf(err) } };
    }
  }

  /** The .env as found and the miner on its original values; the manifest and the copy removed. */
  async restore(): Promise<void> {
    if (!this.changed) return;
    this.o.log(`restoring the miner: ${this.env.path} as found, ${this.o.restarter.label} on its original values`);
    // After a failed restart the miner already runs as found.
    if (this.current === ORIGINAL) await restoreEnvFile(this.env.path, this.backup);
    else await this.putBack(false);
    await removeBackup(this.backup);
    await removeRecovery(this.o.minerDir);
    this.changed = false;
    const stale = unsetNote(this.o.restarter.spec, this.unsetKnobs());
    if (stale) this.o.log(stale);
  }

  /** Restart-to-ready seconds of the miner back on its original values. */
  private async putBack(afterFailure: boolean): Promise<number> {
    this.current = null;
    await restoreEnvFile(this.env.path, this.backup);
    try {
      const setupS = await restartUntilReady(this.o.restarter, this.restoreValues(), {
        minerUrl: this.o.minerUrl,
        readyTimeoutS: Math.max(this.o.readyTimeoutS, RESTORE_TIMEOUT_S),
        afterFailure,
      });
      this.current = ORIGINAL;
      return setupS;
    } catch (err) {
      throw new AutotuneError('E_MINER', `restored ${this.env.path}, but ${messageOf(err)}`, {
        hint: `the recovery manifest stays in ${this.o.minerDir}: fix the miner, then run autotune apply --rollback --miner-dir ${this.o.minerDir}`,
      });
    }
  }

  /** The values the miner is restarted with to run as found: what its process had, else the .env's. */
  private restoreValues(): Record<string, string> {
    const values: Record<string, string> = {};
    for (const [key, value] of this.originals) if (value !== null) values[key] = value;
    return values;
  }

  /** Knobs the miner had neither in its process nor in its .env before the study. */
  private unsetKnobs(): string[] {
    return [...this.originals].filter(([, v]) => v === null).map(([k]) => k);
  }

  /** Records the originals of newly touched knobs (and the .env copy) in the manifest before any change. */
  private async remember(keys: string[]): Promise<void> {
    const fresh = keys.filter((k) => !this.originals.has(k));
    if (fresh.length === 0 && this.changed) return;
    const running = await this.o.restarter.currentValues(fresh);
    for (const key of fresh) this.originals.set(key, running[key] ?? this.env.values[key] ?? null);
    if (!this.changed) this.backup = await backupEnv(this.env, this.now());
    await writeRecovery(this.o.minerDir, {
      startedAt: this.startedAt.toISOString(),
      minerUrl: this.o.minerUrl,
      env: { path: this.env.path, backup: this.backup },
      restart: this.o.restarter.spec,
      restore: this.restoreValues(),
      unset: this.unsetKnobs(),
    });
    this.changed = true;
  }
}

function configKey(config: Config): string {
  return JSON.stringify(Object.keys(config).sort().map((k) => [k, envText(config[k]!)]));
}

function describe(config: Config): string {
  return Object.entries(config).map(([k, v]) => `${k}=${envText(v)}`).join(' ');
}
