import { StoreError } from "../errors.js";
import type { BudgetLimits, BudgetState, BudgetTake, TakeBudgetArgs } from "../store.js";
import type { BucketRow, MemoryState } from "./memory-state.js";

const HOUR_MS = 3_600_000;
/** How soon a caller refused for `in-flight` should look again: slots free when responses arrive. */
export const IN_FLIGHT_POLL_MS = 250;
/** Float slack so a caller that waited exactly `retryInMs` finds its token. */
const EPSILON = 1e-9;

function checkLimits(key: string, limits: BudgetLimits): void {
  const { callsPerHour, burst, maxInFlight } = limits;
  if (!(Number.isFinite(callsPerHour) && Number.isFinite(burst) && burst >= 1 && callsPerHour >= burst && Number.isInteger(maxInFlight) && maxInFlight >= 1)) {
    throw new StoreError(
      `[memory-store] budget ${key}: limits ${JSON.stringify(limits)} need burst >= 1, callsPerHour >= burst and an integer maxInFlight >= 1`,
      { retryable: false },
    );
  }
}

function bucketOf(state: MemoryState, key: string, now: Date): BucketRow {
  let bucket = state.buckets.get(key);
  if (bucket === undefined) {
    bucket = { tokens: null, refilledAt: new Date(now), ratePerMs: 0, burst: 0, pausedUntil: null, pauseReason: null, slots: new Map(), grants: [] };
    state.buckets.set(key, bucket);
  }
  return bucket;
}

/** Adds the refill since `refilledAt`; time never runs backwards in the bucket. */
function refill(bucket: BucketRow, now: Date): void {
  const elapsed = now.getTime() - bucket.refilledAt.getTime();
  if (bucket.tokens === null || elapsed <= 0) return;
  bucket.tokens = Math.min(bucket.burst, bucket.tokens + elapsed * bucket.ratePerMs);
  bucket.refilledAt = new Date(now);
}

function prune(bucket: BucketRow, now: number): void {
  for (const [slotId, expiresAt] of bucket.slots) if (expiresAt <= now) bucket.slots.delete(slotId);
  const horizon = now - HOUR_MS;
  let drop = 0;
  while (drop < bucket.grants.length && (bucket.grants[drop] ?? 0) <= horizon) drop++;
  if (drop > 0) bucket.grants.splice(0, drop);
}

/** `SyncStore.takeBudget`: one token and one slot together, or the reason and wait. */
export function takeBudget(state: MemoryState, args: TakeBudgetArgs): BudgetTake {
  checkLimits(args.key, args.limits);
  const now = args.now.getTime();
  const bucket = bucketOf(state, args.key, args.now);
  prune(bucket, now);
  refill(bucket, args.now);
  bucket.burst = args.limits.burst;
  bucket.ratePerMs = (args.limits.callsPerHour - args.limits.burst) / HOUR_MS;
  if (bucket.tokens === null) {
    bucket.tokens = args.limits.burst;
    bucket.refilledAt = new Date(args.now);
  }
  bucket.tokens = Math.min(bucket.tokens, bucket.burst);
  if (bucket.pausedUntil !== null && bucket.pausedUntil.getTime() > now) {
    return { granted: false, reason: "paused", retryInMs: bucket.pausedUntil.getTime() - now };
  }
  if (bucket.tokens < 1 - EPSILON) {
    // With no refill (callsPerHour === burst) the bucket never refills: say "an hour".
    const retryInMs = bucket.ratePerMs > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / bucket.ratePerMs)) : HOUR_MS;
    return { granted: false, reason: "tokens", retryInMs };
  }
  if (bucket.slots.size >= args.limits.maxInFlight) {
    let soonest = Infinity;
    for (const expiresAt of bucket.slots.values()) soonest = Math.min(soonest, expiresAt - now);
    return { granted: false, reason: "in-flight", retryInMs: Math.max(1, Math.min(IN_FLIGHT_POLL_MS, soonest)) };
  }
  bucket.tokens = Math.max(0, bucket.tokens - 1);
  state.seq++;
  const slotId = `slot-${state.seq}`;
  bucket.slots.set(slotId, now + Math.max(1, args.slotTtlMs));
  bucket.grants.push(now);
  return { granted: true, slotId, tokensLeft: bucket.tokens };
}

/** `SyncStore.releaseBudget`: unknown or expired slots are ignored. */
export function releaseBudget(state: MemoryState, args: { readonly key: string; readonly slotId: string }): void {
  state.buckets.get(args.key)?.slots.delete(args.slotId);
}

/** `SyncStore.pauseBudget`: the later of the current and the new pause wins. */
export function pauseBudget(state: MemoryState, args: { readonly key: string; readonly now: Date; readonly until: Date; readonly reason: string }): void {
  const bucket = bucketOf(state, args.key, args.now);
  const current = bucket.pausedUntil;
  if (current === null || current.getTime() <= args.now.getTime() || args.until.getTime() > current.getTime()) {
    bucket.pausedUntil = new Date(args.until);
    bucket.pauseReason = args.reason;
  }
}

/**
 * `SyncStore.getBudgets`. A key known only from a pause (no limits yet) reports 0 tokens: its
 * bucket fills to `burst` at the first `takeBudget`, which is when the store learns the limits.
 */
export function getBudgets(state: MemoryState, args: { readonly now: Date; readonly keys?: readonly string[] }): BudgetState[] {
  const now = args.now.getTime();
  const keys = args.keys ?? [...state.buckets.keys()].sort();
  const out: BudgetState[] = [];
  for (const key of keys) {
    const bucket = state.buckets.get(key);
    if (bucket === undefined) continue;
    prune(bucket, now);
    refill(bucket, args.now);
    const paused = bucket.pausedUntil !== null && bucket.pausedUntil.getTime() > now;
    out.push({
      key,
      tokens: bucket.tokens ?? 0,
      refilledAt: new Date(bucket.refilledAt),
      pausedUntil: paused && bucket.pausedUntil !== null ? new Date(bucket.pausedUntil) : null,
      pauseReason: paused ? bucket.pauseReason : null,
      inFlight: bucket.slots.size,
      callsLastHour: bucket.grants.filter((t) => t <= now).length,
    });
  }
  return out;
}
