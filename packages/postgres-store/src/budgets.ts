import { randomUUID } from "node:crypto";
import { StoreError } from "@project88/core";
import type { BudgetLimits, BudgetState, BudgetTake, TakeBudgetArgs } from "@project88/core";
import type { StoreContext } from "./rows.js";
import { addMs } from "./sql.js";

const HOUR_MS = 3_600_000;
/** How soon a caller refused for `in-flight` should look again: slots free within a request. */
const IN_FLIGHT_POLL_MS = 250;
/** Grants older than this are pruned; an hour is needed for `callsLastHour`, the rest is audit. */
const GRANT_KEEP_MS = 24 * HOUR_MS;

/** Float slack so a caller that waited exactly `retryInMs` finds its token. */
const EPSILON = 1e-9;

function checkLimits(key: string, limits: BudgetLimits): void {
  const { callsPerHour, burst, maxInFlight } = limits;
  const ok = Number.isFinite(callsPerHour) && Number.isFinite(burst) && burst >= 1 && callsPerHour >= burst && Number.isInteger(maxInFlight) && maxInFlight >= 1;
  if (!ok) {
    throw new StoreError(
      `[postgres-store] budget ${key}: limits ${JSON.stringify(limits)} need burst >= 1, callsPerHour >= burst and an integer maxInFlight >= 1`,
      { retryable: false },
    );
  }
}

interface BudgetRow {
  tokens: number | null;
  refilled_at: Date;
  paused_until: Date | null;
}

/** Refill rate per millisecond: `(callsPerHour - burst)` per hour, never negative. */
function ratePerMs(limits: BudgetLimits): number {
  return Math.max(0, limits.callsPerHour - limits.burst) / HOUR_MS;
}

/**
 * Tokens in the bucket at `now`. Time only moves forward: a `now` earlier than the last refill
 * (another process's clock behind ours) adds nothing, so skewed callers cannot mint tokens.
 */
function refill(row: { tokens: number | null; refilled_at: Date }, limits: BudgetLimits, now: Date): { tokens: number; at: Date } {
  if (row.tokens === null) return { tokens: limits.burst, at: now > row.refilled_at ? now : row.refilled_at };
  const elapsed = Math.max(0, now.getTime() - row.refilled_at.getTime());
  return { tokens: Math.min(limits.burst, row.tokens + elapsed * ratePerMs(limits)), at: elapsed > 0 ? now : row.refilled_at };
}

/**
 * `SyncStore.takeBudget`. The key's row is locked (`FOR UPDATE`) for the whole decision, so
 * takes from any number of processes are serialised per key: the refill, the in-flight count
 * and the grant happen atomically and the bucket can never be overdrawn.
 */
export async function takeBudget(ctx: StoreContext, args: TakeBudgetArgs): Promise<BudgetTake> {
  const { s } = ctx;
  const { key, now, limits } = args;
  checkLimits(key, limits);
  return ctx.db.transaction(
    async (tx): Promise<BudgetTake> => {
      // A new key starts with a full bucket (tokens null = full).
      await tx.query(
        `INSERT INTO ${s}.budgets (connection_key, tokens, refilled_at, updated_at) VALUES ($1, NULL, $2, $2)
         ON CONFLICT (connection_key) DO NOTHING`,
        [key, now],
      );
      const locked = await tx.query<BudgetRow>(
        `SELECT tokens, refilled_at, paused_until FROM ${s}.budgets WHERE connection_key = $1 FOR UPDATE`,
        [key],
      );
      const row = locked.rows[0]!;
      if (row.paused_until && row.paused_until > now) {
        return { granted: false, reason: "paused", retryInMs: row.paused_until.getTime() - now.getTime() };
      }
      const bucket = refill(row, limits, now);
      if (bucket.tokens < 1 - EPSILON) {
        const rate = ratePerMs(limits);
        const retryInMs = rate > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) : HOUR_MS;
        return { granted: false, reason: "tokens", retryInMs };
      }
      await tx.query(`DELETE FROM ${s}.budget_slots WHERE connection_key = $1 AND expires_at <= $2`, [key, now]);
      const slots = await tx.query<{ n: number; soonest: Date | null }>(
        `SELECT count(*)::int AS n, min(expires_at) AS soonest FROM ${s}.budget_slots WHERE connection_key = $1`,
        [key],
      );
      const held = slots.rows[0];
      if ((held?.n ?? 0) >= limits.maxInFlight) {
        const soonest = held?.soonest ? held.soonest.getTime() - now.getTime() : IN_FLIGHT_POLL_MS;
        return { granted: false, reason: "in-flight", retryInMs: Math.max(1, Math.min(IN_FLIGHT_POLL_MS, soonest)) };
      }
      const slotId = randomUUID();
      const tokensLeft = Math.max(0, bucket.tokens - 1);
      await tx.query(
        `UPDATE ${s}.budgets SET tokens = $2, refilled_at = $3, calls_per_hour = $4, burst = $5, max_in_flight = $6, updated_at = $7
         WHERE connection_key = $1`,
        [key, tokensLeft, bucket.at, limits.callsPerHour, limits.burst, limits.maxInFlight, now],
      );
      await tx.query(
        `INSERT INTO ${s}.budget_slots (slot_id, connection_key, owner, taken_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
        [slotId, key, args.owner, now, addMs(now, Math.max(1, args.slotTtlMs))],
      );
      await tx.query(`INSERT INTO ${s}.budget_grants (connection_key, granted_at, owner) VALUES ($1, $2, $3)`, [key, now, args.owner]);
      await tx.query(`DELETE FROM ${s}.budget_grants WHERE connection_key = $1 AND granted_at < $2`, [key, addMs(now, -GRANT_KEEP_MS)]);
      return { granted: true, slotId, tokensLeft };
    },
    // A take that committed before the connection dropped only spent a token: safe to repeat.
    { operation: "takeBudget", retry: true },
  );
}

/** `SyncStore.releaseBudget`: frees the slot; unknown or already expired slots are a no-op. */
export async function releaseBudget(ctx: StoreContext, args: { readonly key: string; readonly slotId: string; readonly now: Date }): Promise<void> {
  await ctx.db.query(`DELETE FROM ${ctx.s}.budget_slots WHERE connection_key = $1 AND slot_id = $2`, [args.key, args.slotId], {
    operation: "releaseBudget",
    retry: true,
  });
}

/** `SyncStore.pauseBudget`: the later of the current and the new pause wins, with its reason (a pause already over never wins). */
export async function pauseBudget(
  ctx: StoreContext,
  args: { readonly key: string; readonly now: Date; readonly until: Date; readonly reason: string },
): Promise<void> {
  await ctx.db.query(
    `INSERT INTO ${ctx.s}.budgets AS b (connection_key, tokens, refilled_at, paused_until, pause_reason, updated_at)
     VALUES ($1, NULL, $2, $3, $4, $2)
     ON CONFLICT (connection_key) DO UPDATE SET paused_until = excluded.paused_until, pause_reason = excluded.pause_reason,
       updated_at = excluded.updated_at
     WHERE b.paused_until IS NULL OR b.paused_until <= $2 OR b.paused_until < excluded.paused_until`,
    [args.key, args.now, args.until, args.reason],
    { operation: "pauseBudget", retry: true },
  );
}

interface StateRow {
  connection_key: string;
  tokens: number | null;
  refilled_at: Date;
  calls_per_hour: number | null;
  burst: number | null;
  max_in_flight: number | null;
  paused_until: Date | null;
  pause_reason: string | null;
  in_flight: number;
  calls_last_hour: number;
}

/**
 * `SyncStore.getBudgets`. `tokens` is the bucket refilled to `now` with the limits of the last
 * take (the store learns limits only from `takeBudget`); a paused or expired pause is reported
 * as stored, `pausedUntil` null once it has passed.
 */
export async function getBudgets(ctx: StoreContext, args: { readonly now: Date; readonly keys?: readonly string[] }): Promise<BudgetState[]> {
  const { s } = ctx;
  const result = await ctx.db.query<StateRow>(
    `SELECT b.connection_key, b.tokens, b.refilled_at, b.calls_per_hour, b.burst, b.max_in_flight, b.paused_until, b.pause_reason,
       (SELECT count(*)::int FROM ${s}.budget_slots l WHERE l.connection_key = b.connection_key AND l.expires_at > $1) AS in_flight,
       (SELECT count(*)::int FROM ${s}.budget_grants g
         WHERE g.connection_key = b.connection_key AND g.granted_at > $2 AND g.granted_at <= $1) AS calls_last_hour
     FROM ${s}.budgets b WHERE ($3::text[] IS NULL OR b.connection_key = ANY($3::text[]))
     ORDER BY b.connection_key`,
    [args.now, addMs(args.now, -HOUR_MS), args.keys ? [...args.keys] : null],
    { operation: "getBudgets", retry: true },
  );
  return result.rows.map((r) => {
    const limits = r.calls_per_hour !== null && r.burst !== null ? { callsPerHour: r.calls_per_hour, burst: r.burst, maxInFlight: r.max_in_flight ?? 0 } : null;
    const bucket = limits ? refill(r, limits, args.now) : { tokens: r.tokens ?? 0, at: r.refilled_at };
    const paused = r.paused_until && r.paused_until > args.now;
    return {
      key: r.connection_key,
      tokens: bucket.tokens,
      refilledAt: bucket.at,
      pausedUntil: paused ? r.paused_until : null,
      pauseReason: paused ? r.pause_reason : null,
      inFlight: r.in_flight,
      callsLastHour: r.calls_last_hour,
    };
  });
}
