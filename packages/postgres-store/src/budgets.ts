import { randomUUID } from "node:crypto";
import { checkBudgetLimits, decideTake, refillBucket } from "@project88/core";
import type { BudgetState, BudgetTake, TakeBudgetArgs } from "@project88/core";
import type { StoreContext } from "./rows.js";
import { addMs } from "./sql.js";

const HOUR_MS = 3_600_000;
/** Grants older than this are pruned; an hour is needed for `callsLastHour`, the rest is audit. */
const GRANT_KEEP_MS = 24 * HOUR_MS;

interface BudgetRow {
  tokens: number | null;
  refilled_at: Date;
  paused_until: Date | null;
}

/**
 * `SyncStore.takeBudget`. The key's row is locked (`FOR UPDATE`) for the whole decision, so
 * takes from any number of processes are serialised per key: the refill, the in-flight count
 * and the grant happen atomically and the bucket can never be overdrawn.
 */
export async function takeBudget(ctx: StoreContext, args: TakeBudgetArgs): Promise<BudgetTake> {
  const { s } = ctx;
  const { key, now, limits } = args;
  checkBudgetLimits("postgres-store", key, limits);
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
      await tx.query(`DELETE FROM ${s}.budget_slots WHERE connection_key = $1 AND expires_at <= $2`, [key, now]);
      const slots = await tx.query<{ n: number; soonest: Date | null }>(
        `SELECT count(*)::int AS n, min(expires_at) AS soonest FROM ${s}.budget_slots WHERE connection_key = $1`,
        [key],
      );
      const decision = decideTake({
        bucket: { tokens: row.tokens, refilledAt: row.refilled_at },
        limits,
        now,
        pausedUntil: row.paused_until,
        inFlight: slots.rows[0]?.n ?? 0,
        soonestSlotExpiry: slots.rows[0]?.soonest ?? null,
        reserve: args.reserve,
      });
      if (!decision.granted) return decision;
      const tokensLeft = decision.bucket.tokens;
      const slotId = randomUUID();
      await tx.query(
        `UPDATE ${s}.budgets SET tokens = $2, refilled_at = $3, calls_per_hour = $4, burst = $5, max_in_flight = $6, updated_at = $7
         WHERE connection_key = $1`,
        [key, tokensLeft, decision.bucket.refilledAt, limits.callsPerHour, limits.burst, limits.maxInFlight, now],
      );
      await tx.query(`INSERT INTO ${s}.budget_slots (slot_id, connection_key, owner, taken_at, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
        slotId,
        key,
        args.owner,
        now,
        addMs(now, Math.max(1, args.slotTtlMs)),
      ]);
      await tx.query(`INSERT INTO ${s}.budget_grants (connection_key, granted_at, owner) VALUES ($1, $2, $3)`, [key, now, args.owner]);
      await tx.query(`DELETE FROM ${s}.budget_grants WHERE connection_key = $1 AND granted_at < $2`, [key, addMs(now, -GRANT_KEEP_MS)]);
      return { granted: true, slotId, tokensLeft };
    },
    // A take that committed before the connection dropped only spent a token: safe to repeat.
    { operation: "takeBudget", retry: true },
  );
}

/** `SyncStore.releaseBudget`: frees the slot; unknown or already expired slots are a no-op. */
export async function releaseBudget(
  ctx: StoreContext,
  args: { readonly key: string; readonly slotId: string; readonly now: Date },
): Promise<void> {
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
export async function getBudgets(
  ctx: StoreContext,
  args: { readonly now: Date; readonly keys?: readonly string[] },
): Promise<BudgetState[]> {
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
    const limits =
      r.calls_per_hour !== null && r.burst !== null
        ? { callsPerHour: r.calls_per_hour, burst: r.burst, maxInFlight: r.max_in_flight ?? 0 }
        : null;
    const bucket = limits
      ? refillBucket({ tokens: r.tokens, refilledAt: r.refilled_at }, limits, args.now)
      : { tokens: r.tokens ?? 0, refilledAt: r.refilled_at };
    const paused = r.paused_until && r.paused_until > args.now;
    return {
      key: r.connection_key,
      tokens: bucket.tokens,
      refilledAt: bucket.refilledAt,
      pausedUntil: paused ? r.paused_until : null,
      pauseReason: paused ? r.pause_reason : null,
      inFlight: r.in_flight,
      callsLastHour: r.calls_last_hour,
    };
  });
}
