import { StoreError } from "./errors.js";
import type { BudgetLimits, BudgetTake } from "./store.js";

/**
 * The token-bucket arithmetic of a budget, written once for every store. A store keeps the
 * bucket (tokens, last refill) and the in-flight slots; it asks `decideTake` what a take gets and
 * writes the answer atomically (PostgreSQL: under the key's row lock).
 *
 * The bucket holds at most `burst` tokens and refills at `callsPerHour - burst` an hour, so the
 * burst plus one hour of refill never exceeds `callsPerHour` in any rolling hour.
 */

const HOUR_MS = 3_600_000;
/** How soon a caller refused for `in-flight` should look again: slots free when responses arrive. */
export const IN_FLIGHT_POLL_MS = 250;
/** Float slack so a caller that waited exactly `retryInMs` finds its token. */
const EPSILON = 1e-9;

/** A stored bucket; `tokens` null means full (a key whose limits the store has not learnt yet). */
export interface StoredBucket {
  readonly tokens: number | null;
  readonly refilledAt: Date;
}

/** A bucket brought up to an instant. */
export interface RefilledBucket {
  readonly tokens: number;
  readonly refilledAt: Date;
}

/** Refuses limits no bucket can honour, naming the store and key. */
export function checkBudgetLimits(store: string, key: string, limits: BudgetLimits): void {
  const { callsPerHour, burst, maxInFlight } = limits;
  const ok =
    Number.isFinite(callsPerHour) &&
    Number.isFinite(burst) &&
    burst >= 1 &&
    callsPerHour >= burst &&
    Number.isInteger(maxInFlight) &&
    maxInFlight >= 1;
  if (!ok) {
    throw new StoreError(
      `[${store}] budget ${key}: limits ${JSON.stringify(limits)} need burst >= 1, callsPerHour >= burst and an integer maxInFlight >= 1`,
      {
        retryable: false,
      },
    );
  }
}

/** Refill per millisecond: `(callsPerHour - burst)` an hour, never negative. */
export function refillRatePerMs(limits: BudgetLimits): number {
  return Math.max(0, limits.callsPerHour - limits.burst) / HOUR_MS;
}

/**
 * The bucket at `now`. Time only moves forward: a `now` earlier than the last refill (another
 * process's clock behind ours) adds nothing, so a caller with a skewed clock cannot mint tokens.
 */
export function refillBucket(bucket: StoredBucket, limits: BudgetLimits, now: Date): RefilledBucket {
  if (bucket.tokens === null) return { tokens: limits.burst, refilledAt: now > bucket.refilledAt ? now : bucket.refilledAt };
  const elapsed = Math.max(0, now.getTime() - bucket.refilledAt.getTime());
  return {
    tokens: Math.min(limits.burst, bucket.tokens + elapsed * refillRatePerMs(limits)),
    refilledAt: elapsed > 0 ? now : bucket.refilledAt,
  };
}

/** What a take at `now` gets, given the stored bucket, its pause and the live slots. */
export interface TakeDecisionArgs {
  readonly bucket: StoredBucket;
  readonly limits: BudgetLimits;
  readonly now: Date;
  readonly pausedUntil: Date | null;
  /** Unexpired in-flight slots of the key. */
  readonly inFlight: number;
  /** When the first of those slots expires, if any. */
  readonly soonestSlotExpiry: Date | null;
  /** Tokens the take must leave (see `TakeBudgetArgs.reserve`; default 0). */
  readonly reserve?: number | undefined;
}

/**
 * The refusal (paused, then no token, then no free slot), or the bucket to store after granting
 * one token. A refusal leaves the stored bucket as it was.
 */
export function decideTake(
  args: TakeDecisionArgs,
): Extract<BudgetTake, { granted: false }> | { readonly granted: true; readonly bucket: RefilledBucket } {
  const { limits, now } = args;
  const at = now.getTime();
  if (args.pausedUntil !== null && args.pausedUntil.getTime() > at) {
    return { granted: false, reason: "paused", retryInMs: args.pausedUntil.getTime() - at };
  }
  const bucket = refillBucket(args.bucket, limits, now);
  // A reserve above what the bucket can ever hold would refuse for ever: it is capped below the burst.
  const need = 1 + Math.min(Math.max(0, args.reserve ?? 0), limits.burst - 1);
  if (bucket.tokens < need - EPSILON) {
    const rate = refillRatePerMs(limits);
    // With no refill (callsPerHour === burst) the bucket never refills: say "an hour".
    return { granted: false, reason: "tokens", retryInMs: rate > 0 ? Math.max(1, Math.ceil((need - bucket.tokens) / rate)) : HOUR_MS };
  }
  if (args.inFlight >= limits.maxInFlight) {
    const soonest = args.soonestSlotExpiry === null ? IN_FLIGHT_POLL_MS : args.soonestSlotExpiry.getTime() - at;
    return { granted: false, reason: "in-flight", retryInMs: Math.max(1, Math.min(IN_FLIGHT_POLL_MS, soonest)) };
  }
  return { granted: true, bucket: { tokens: Math.max(0, bucket.tokens - 1), refilledAt: bucket.refilledAt } };
}
