import { StoreError } from "./errors.js";
import type { BudgetLimits, BudgetTake } from "./store.js";

/**
 * The token-bucket arithmetic of a budget, written once for every store. A store keeps the
 * bucket (tokens, last refill) and the in-flight slots; it asks `decideTake` what a take gets and
 * writes the answer atomically (PostgreSQL: under the key's row lock).
 *
 * Two limits together. The bucket holds at most `burst` tokens and refills at `callsPerHour` an
 * hour: it spreads calls out, so a backlog cannot spend an hour's calls in a minute. The grant
 * log caps every rolling hour at exactly `callsPerHour`: a take is refused while the hour before
 * it already holds that many grants (from any process: the log is the store's). A bucket alone
 * would have to refill at `callsPerHour - burst` to keep that promise, and so lose the burst's
 * share of every hour the budget binds (2% at 1000 an hour and a burst of 20).
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

/** Refill per millisecond: `callsPerHour` an hour (the grant log keeps every rolling hour within it). */
export function refillRatePerMs(limits: BudgetLimits): number {
  return limits.callsPerHour / HOUR_MS;
}

/** The key's grants in the rolling hour before a take (`granted_at > now - 1 h`, later ones too). */
export interface GrantWindow {
  readonly count: number;
  /** The oldest of them, or null when there are none. */
  readonly oldest: Date | null;
}

/** Where a store's grant-log query starts: grants after this instant count towards the hour. */
export function grantWindowStart(now: Date): Date {
  return new Date(now.getTime() - HOUR_MS);
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
  /**
   * The key's grants in the hour before `now`, from its grant log. Required: a store that left it
   * out would let the bucket's full-rate refill exceed `callsPerHour` in a rolling hour.
   */
  readonly window: GrantWindow;
}

/**
 * The refusal (paused, then no token or the hour's calls spent, then no free slot), or the bucket
 * to store after granting one token. A refusal leaves the stored bucket as it was. The reserve
 * counts against both: less urgent work leaves the hour's last calls to the most urgent tier too.
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
  if (args.window.count + need > limits.callsPerHour) {
    // Room comes back as the hour's oldest grants age out of it: look again when the first does.
    const oldest = args.window.oldest?.getTime() ?? at;
    return { granted: false, reason: "tokens", retryInMs: Math.max(1, oldest + HOUR_MS - at + 1) };
  }
  if (args.inFlight >= limits.maxInFlight) {
    const soonest = args.soonestSlotExpiry === null ? IN_FLIGHT_POLL_MS : args.soonestSlotExpiry.getTime() - at;
    return { granted: false, reason: "in-flight", retryInMs: Math.max(1, Math.min(IN_FLIGHT_POLL_MS, soonest)) };
  }
  return { granted: true, bucket: { tokens: Math.max(0, bucket.tokens - 1), refilledAt: bucket.refilledAt } };
}
