// How a study measures: fixed or adaptive repeats, racing, the control, warm-up challenges. The
// command normalises these once; the study records them with its settings, so the commands that read
// a study later (trials, show, emit) judge its race with the rules it ran with.

export type RepeatPolicy =
  /** Every trial gets `repeats` challenges per video. */
  | { kind: 'fixed'; repeats: number }
  /**
   * Repeats until the 95% interval of each video's median is within AUTO_PRECISION of it (at least
   * AUTO_MIN_REPEATS), or `maxRepeats`; a trial behind the incumbent after its first round is not repeated.
   */
  | { kind: 'auto'; maxRepeats: number };

export interface RacePolicy {
  enabled: boolean;
  /** Blocks (one video x one repeat) a trial shares with the one it is compared to before the test may drop it. */
  minBlocks: number;
  alpha: number;
}

export interface MeasurePolicy {
  repeats: RepeatPolicy;
  racing: RacePolicy;
  /** The baseline measured throughout the study as the control; null for none. */
  control: string | null;
  /** Unmeasured challenges a trial runs before its measured ones (caches, model load). */
  warmup: number;
  /** Feasible sampled trials raced against the baselines at the end, and the rounds of that race. */
  confirmTop: number;
  confirmRepeats: number;
}

/** Half-width of a video's median interval, relative to it, at which adaptive repeats stop. */
export const AUTO_PRECISION = 0.05;
/** A contender gets at least this many repeats under adaptive repeats (one value has no spread). */
export const AUTO_MIN_REPEATS = 2;
/**
 * The most repeats per video a contender gets under adaptive repeats. With a challenge's usual noise
 * (8-15%), a median within 5% needs far more values than any study can spend, so the precision rule
 * stops a steady contender early and this cap stops the rest; the confirmation race measures the top
 * few again, side by side. Each repeat beyond this cost more challenges than it bought in the search
 * benchmark (npm run bench:search).
 */
export const DEFAULT_MAX_REPEATS = 3;
/**
 * A trial behind the incumbent after a whole round is not repeated further; judged on part of its
 * first round, only by a margin of this much per missing share (see clearLoss).
 */
export const CLEAR_LOSER_MARGIN = 0.1;
/** Accuracy this far under the floor on every block so far: the trial cannot become feasible. */
export const FAR_BELOW_FLOOR = 0.05;
/**
 * The exact one-sided signed-rank test cannot reach p < 0.05 with fewer than 5 pairs (its smallest
 * p is 1/2^n), so fewer shared blocks never drop a trial whatever --race-min-blocks says.
 */
export const DEFAULT_RACE: RacePolicy = { enabled: true, minBlocks: 5, alpha: 0.05 };

/** The policy a study recorded in its settings; older studies (fixed repeats, no race, no control) read as such. */
export function policyOf(settings: Record<string, unknown>): MeasurePolicy {
  const s = settings as Partial<{
    repeats: unknown;
    racing: Partial<RacePolicy>;
    control: string | null;
    warmup: number;
    confirmTop: number;
    confirmRepeats: number;
  }>;
  const repeats: RepeatPolicy =
    typeof s.repeats === 'number'
      ? { kind: 'fixed', repeats: s.repeats }
      : isRepeatPolicy(s.repeats)
        ? s.repeats
        : { kind: 'fixed', repeats: 3 };
  const racing = s.racing && typeof s.racing === 'object' ? { ...DEFAULT_RACE, ...s.racing } : { ...DEFAULT_RACE, enabled: false };
  return {
    repeats,
    racing,
    control: typeof s.control === 'string' ? s.control : null,
    warmup: typeof s.warmup === 'number' ? s.warmup : 0,
    confirmTop: typeof s.confirmTop === 'number' ? s.confirmTop : 3,
    confirmRepeats: typeof s.confirmRepeats === 'number' ? s.confirmRepeats : 5,
  };
}

function isRepeatPolicy(v: unknown): v is RepeatPolicy {
  const p = v as RepeatPolicy | null;
  return !!p && typeof p === 'object' && (p.kind === 'fixed' || p.kind === 'auto');
}

/** The most repeats per video a trial can get under the policy. */
export function maxRepeatsOf(policy: RepeatPolicy): number {
  return policy.kind === 'fixed' ? policy.repeats : policy.maxRepeats;
}

/** Whether trials may stop before their planned repeats (adaptive repeats, or racing). */
export function stopsEarly(policy: Pick<MeasurePolicy, 'repeats' | 'racing'>): boolean {
  return policy.repeats.kind === 'auto' || policy.racing.enabled;
}

export function describeRepeats(policy: RepeatPolicy): string {
  return policy.kind === 'fixed' ? `${policy.repeats} repeats` : `adaptive repeats (up to ${policy.maxRepeats})`;
}
