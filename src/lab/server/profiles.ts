import { AutotuneError } from '../../errors.js';

// Link profiles for the lab server. Rates are in decimal units: 1 MB/s = 8 Mbit/s.
export const PROFILE_NAMES = ['lan', 'fork', 'seed-slow'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The link a connection gets: null rate means no bandwidth shaping. */
export interface LinkProfile {
  name: ProfileName;
  rateMbps: number | null;
  rateBytesPerSec: number | null;
  rttMs: number;
}

const FIGURES: Record<ProfileName, { rateMbps: number | null; rttMs: number }> = {
  lan: { rateMbps: null, rttMs: 0 },
  fork: { rateMbps: 40, rttMs: 60 }, // 5 MB/s
  'seed-slow': { rateMbps: 5.6, rttMs: 100 }, // 0.7 MB/s
};

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(value);
}

/** The profile's figures with the --rate-mbps / --rtt-ms overrides applied. */
export function resolveLinkProfile(name: string, overrides: { rateMbps?: number; rttMs?: number } = {}): LinkProfile {
  if (!isProfileName(name)) {
    throw new AutotuneError('E_USAGE', `unknown link profile "${name}"`, {
      hint: `use one of: ${PROFILE_NAMES.join(', ')}`,
      context: { profile: name },
    });
  }
  const base = FIGURES[name];
  const rateMbps = overrides.rateMbps ?? base.rateMbps;
  const rttMs = overrides.rttMs ?? base.rttMs;
  if (rateMbps !== null && !(Number.isFinite(rateMbps) && rateMbps > 0)) {
    throw new AutotuneError('E_USAGE', `--rate-mbps must be a positive number of Mbit/s, got ${rateMbps}`, {
      hint: 'e.g. --rate-mbps 5.6; leave it out for no bandwidth limit',
    });
  }
  if (!(Number.isFinite(rttMs) && rttMs >= 0)) {
    throw new AutotuneError('E_USAGE', `--rtt-ms must be a number of milliseconds >= 0, got ${rttMs}`, {
      hint: 'e.g. --rtt-ms 100',
    });
  }
  return { name, rateMbps, rateBytesPerSec: rateMbps === null ? null : (rateMbps * 1e6) / 8, rttMs };
}
