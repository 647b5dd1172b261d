import { checkBudgetLimits, decideTake, refillBucket } from "../token-bucket.js";
import type { BudgetState, BudgetTake, TakeBudgetArgs } from "../store.js";
import type { BucketRow, MemoryState } from "./memory-state.js";

const HOUR_MS = 3_600_000;

function bucketOf(state: MemoryState, key: string, now: Date): BucketRow {
  let bucket = state.buckets.get(key);
  if (bucket === undefined) {
    bucket = { tokens: null, refilledAt: new Date(now), limits: null, pausedUntil: null, pauseReason: null, slots: new Map(), grants: [] };
    state.buckets.set(key, bucket);
  }
  return bucket;
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
  checkBudgetLimits("memory-store", args.key, args.limits);
  const now = args.now.getTime();
  const bucket = bucketOf(state, args.key, args.now);
  prune(bucket, now);
  let soonest: number | null = null;
  for (const expiresAt of bucket.slots.values()) soonest = soonest === null ? expiresAt : Math.min(soonest, expiresAt);
  const decision = decideTake({
    bucket,
    limits: args.limits,
    now: args.now,
    pausedUntil: bucket.pausedUntil,
    inFlight: bucket.slots.size,
    soonestSlotExpiry: soonest === null ? null : new Date(soonest),
    reserve: args.reserve,
  });
  if (!decision.granted) return decision;
  bucket.tokens = decision.bucket.tokens;
  bucket.refilledAt = new Date(decision.bucket.refilledAt);
  bucket.limits = args.limits;
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
export function pauseBudget(
  state: MemoryState,
  args: { readonly key: string; readonly now: Date; readonly until: Date; readonly reason: string },
): void {
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
    const refilled =
      bucket.limits === null
        ? { tokens: bucket.tokens ?? 0, refilledAt: bucket.refilledAt }
        : refillBucket(bucket, bucket.limits, args.now);
    const paused = bucket.pausedUntil !== null && bucket.pausedUntil.getTime() > now;
    out.push({
      key,
      tokens: refilled.tokens,
      refilledAt: new Date(refilled.refilledAt),
      pausedUntil: paused && bucket.pausedUntil !== null ? new Date(bucket.pausedUntil) : null,
      pauseReason: paused ? bucket.pauseReason : null,
      inFlight: bucket.slots.size,
      callsLastHour: bucket.grants.filter((t) => t <= now).length,
    });
  }
  return out;
}
