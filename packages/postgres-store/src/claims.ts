import type { ClaimArgs, EventRef, StoredEvent } from "@project88/core";
import { loadEventsByRefs } from "./catalog.js";
import type { SqlQueryable } from "./sql-client.js";
import { type StoreContext, refArrays } from "./rows.js";
import { addMs } from "./sql.js";

/** For `claimEvents`: free when nobody holds the lease, it expired, or `owner` ($1) holds it. */
const FREE = "(s.lease_owner IS NULL OR s.lease_expires_at <= $2 OR s.lease_owner = $1)";

/**
 * For `claimDue`: free only when unleased or expired at `now` ($2). An event the caller itself
 * holds is not returned again, so two calls (even from one owner) never return the same event.
 */
const UNLEASED = (now: string) => `(s.lease_owner IS NULL OR s.lease_expires_at <= ${now})`;

/** How many due rows one claim looks at to choose its races. Bounds the rows locked per claim. */
const SCAN_LIMIT = 500;

/**
 * The SQL condition (alias `s`) under which `owner` ($1) holds an event's lease at `now` ($2):
 * its name is on it and it has not expired. Used wherever a write needs the lease.
 */
export const HELD = "(s.lease_owner = $1 AND s.lease_expires_at > $2)";

interface Due {
  provider: string;
  event_id: string;
  race_id: string;
}

/**
 * `SyncStore.claimDue`, in one transaction:
 * 1. lock (SKIP LOCKED) the most urgent due, free events, in claim order, and pick the first
 *    `maxRaces` races among them. Rows another claimer is locking are skipped, never waited on,
 *    so concurrent claims never block each other nor return the same event;
 * 2. lease every due, free event of those races (again SKIP LOCKED: an event of the race that a
 *    concurrent claimer holds stays with it). The lease conditions are re-checked on the locked
 *    row, so a lease committed by another process after our snapshot is respected.
 * Retried after a lost connection: a lease committed before the drop just expires unused.
 */
export async function claimDue(ctx: StoreContext, args: ClaimArgs): Promise<StoredEvent[]> {
  const { s } = ctx;
  if (args.maxRaces <= 0) return [];
  const providers = args.providers ? [...args.providers] : null;
  return ctx.db.transaction(
    async (tx) => {
      const due = await tx.query<Due>(
        `SELECT s.provider, s.event_id, s.race_id FROM ${s}.sync_state s
         WHERE s.next_due_at <= $1 AND ${UNLEASED("$1")} AND ($2::text[] IS NULL OR s.provider = ANY($2::text[]))
         ORDER BY s.priority, s.next_due_at, s.provider, s.event_id
         LIMIT ${SCAN_LIMIT}
         FOR UPDATE SKIP LOCKED`,
        [args.now, providers],
      );
      const races = new Map<string, { provider: string; raceId: string }>();
      for (const row of due.rows) {
        if (races.size >= args.maxRaces) break;
        races.set(JSON.stringify([row.provider, row.race_id]), { provider: row.provider, raceId: row.race_id });
      }
      if (races.size === 0) return [];
      const chosen = [...races.values()];
      const leased = await tx.query<{ provider: string; event_id: string }>(
        `UPDATE ${s}.sync_state AS u SET lease_owner = $1, lease_expires_at = $5, updated_at = $2
         FROM (SELECT s.provider, s.event_id FROM ${s}.sync_state s
               WHERE (s.provider, s.race_id) IN (SELECT * FROM unnest($3::text[], $4::text[]))
                 AND s.next_due_at <= $2 AND ${UNLEASED("$2")}
               FOR UPDATE SKIP LOCKED) AS c
         WHERE u.provider = c.provider AND u.event_id = c.event_id
         RETURNING u.provider, u.event_id`,
        [args.owner, args.now, chosen.map((r) => r.provider), chosen.map((r) => r.raceId), addMs(args.now, args.leaseMs)],
      );
      return loadEventsByRefs(tx, s, leased.rows.map((r) => ({ provider: r.provider, eventId: r.event_id })));
    },
    { operation: "claimDue", retry: true },
  );
}

/** Leases the given events, due or not, where no other owner holds an unexpired lease. */
export async function claimEvents(
  ctx: StoreContext,
  args: { readonly owner: string; readonly now: Date; readonly leaseMs: number; readonly refs: readonly EventRef[] },
): Promise<StoredEvent[]> {
  if (args.refs.length === 0) return [];
  const { s } = ctx;
  return ctx.db.transaction(
    async (tx: SqlQueryable) => {
      const [providers, ids] = refArrays(args.refs);
      // A plain UPDATE waits for a concurrent claimer's row lock, then re-checks FREE on the
      // committed row: of two claimers of one event exactly one gets it.
      const leased = await tx.query<{ provider: string; event_id: string }>(
        `UPDATE ${s}.sync_state AS s SET lease_owner = $1, lease_expires_at = $5, updated_at = $2
         WHERE (s.provider, s.event_id) IN (SELECT * FROM unnest($3::text[], $4::text[])) AND ${FREE}
         RETURNING s.provider, s.event_id`,
        [args.owner, args.now, providers, ids, addMs(args.now, args.leaseMs)],
      );
      return loadEventsByRefs(tx, s, leased.rows.map((r) => ({ provider: r.provider, eventId: r.event_id })));
    },
    { operation: "claimEvents", retry: true },
  );
}

/** Extends the owner's unexpired leases; returns the refs it no longer holds. */
export async function renewLeases(
  ctx: StoreContext,
  args: { readonly owner: string; readonly now: Date; readonly leaseMs: number; readonly refs: readonly EventRef[] },
): Promise<EventRef[]> {
  if (args.refs.length === 0) return [];
  const [providers, ids] = refArrays(args.refs);
  const renewed = await ctx.db.query<{ provider: string; event_id: string }>(
    `UPDATE ${ctx.s}.sync_state AS s SET lease_expires_at = $5
     WHERE (s.provider, s.event_id) IN (SELECT * FROM unnest($3::text[], $4::text[])) AND ${HELD}
     RETURNING s.provider, s.event_id`,
    [args.owner, args.now, providers, ids, addMs(args.now, args.leaseMs)],
    { operation: "renewLeases", retry: true },
  );
  const kept = new Set(renewed.rows.map((r) => JSON.stringify([r.provider, r.event_id])));
  return args.refs.filter((r) => !kept.has(JSON.stringify([r.provider, r.eventId])));
}

/** Gives back the owner's leases; other owners' leases are untouched. */
export async function releaseLeases(
  ctx: StoreContext,
  args: { readonly owner: string; readonly now: Date; readonly refs: readonly EventRef[] },
): Promise<void> {
  if (args.refs.length === 0) return;
  const [providers, ids] = refArrays(args.refs);
  await ctx.db.query(
    `UPDATE ${ctx.s}.sync_state AS s SET lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
     WHERE (s.provider, s.event_id) IN (SELECT * FROM unnest($3::text[], $4::text[])) AND s.lease_owner = $1`,
    [args.owner, args.now, providers, ids],
    { operation: "releaseLeases", retry: true },
  );
}
