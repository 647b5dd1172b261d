import type { ClaimArgs, EventRef, StoredEvent } from "@project88/core";
import { loadEventsByRefs } from "./catalog.js";
import type { SqlQueryable } from "./sql-client.js";
import { type StoreContext, refArrays } from "./rows.js";
import { closeAbandonedRuns, type ExpiredLease } from "./runs.js";
import { addMs } from "./sql.js";

/** For `claimEvents`: free when nobody holds the lease, it expired, or `owner` ($1) holds it. */
const FREE = "(s.lease_owner IS NULL OR s.lease_expires_at <= $2 OR s.lease_owner = $1)";

/**
 * For `claimDue`: free only when unleased or expired at `now` ($2). An event the caller itself
 * holds is not returned again, so two calls (even from one owner) never return the same event.
 */
const UNLEASED = (now: string) => `(s.lease_owner IS NULL OR s.lease_expires_at <= ${now})`;

/**
 * The SQL condition (alias `s`) under which `owner` ($1) holds an event's lease at `now` ($2):
 * its name is on it and it has not expired. Used wherever a write needs the lease.
 */
export const HELD = "(s.lease_owner = $1 AND s.lease_expires_at > $2)";

/** An event a claim leased, with the lease it replaced. */
interface LeasedRow {
  provider: string;
  event_id: string;
  old_owner: string | null;
  old_expires: Date | null;
}

/** The leases a claim took over after they expired (their holders' runs are abandoned). */
function expiredLeases(rows: readonly LeasedRow[], now: Date): ExpiredLease[] {
  const out: ExpiredLease[] = [];
  for (const r of rows) {
    if (r.old_owner === null || r.old_expires === null || r.old_expires.getTime() > now.getTime()) continue;
    out.push({ provider: r.provider, eventId: r.event_id, owner: r.old_owner, expiredAt: r.old_expires });
  }
  return out;
}

/**
 * `SyncStore.claimDue`, in one transaction, race by race in claim order:
 * 1. list candidate races by their most urgent due, unleased event (no row locks taken);
 * 2. for each, take a transaction-scoped advisory lock on the race (try, never wait), lock its
 *    due (or due within `alongWithinMs`), unleased events `FOR UPDATE SKIP LOCKED` (the lease is re-checked on the locked, current
 *    row version) and lease them in the same statement. A race another claimer is working on is
 *    skipped (its lock is taken), and a row locked elsewhere (a `claimEvents`) is skipped, so
 *    concurrent claims never wait, never split a race, lock only the rows they lease, and never
 *    return the same event.
 * An event leased by anyone, the caller included, is not claimed again until its lease expires.
 * Retried after a lost connection: a lease committed before the drop just expires unused.
 */
export async function claimDue(ctx: StoreContext, args: ClaimArgs): Promise<StoredEvent[]> {
  const { s } = ctx;
  if (args.maxRaces <= 0) return [];
  const providers = args.providers ? [...args.providers] : null;
  const connectionIds = args.connectionIds ? [...args.connectionIds] : null;
  // Events seen through at least one of the given connections by a link that is not forbidden
  // (all events when none are given). Checked per due event through the link's index: `OFFSET 0`
  // keeps the planner from hashing the named connections' links instead, a scan of every link
  // (every event ever discovered) on each claim.
  const seenBy = (param: string) =>
    `(${param}::text[] IS NULL OR EXISTS (SELECT 1 FROM ${s}.connection_events ce
       WHERE ce.provider = s.provider AND ce.event_id = s.event_id AND ce.connection_id = ANY(${param}::text[])
         AND ce.forbidden_at IS NULL OFFSET 0))`;
  return ctx.db.transaction(
    async (tx) => {
      const tried: { provider: string; raceId: string }[] = [];
      const leased: EventRef[] = [];
      const expired: ExpiredLease[] = [];
      let chosen = 0;
      while (chosen < args.maxRaces) {
        const candidates = await tx.query<{ provider: string; race_id: string }>(
          `SELECT provider, race_id FROM (
             SELECT DISTINCT ON (s.provider, s.race_id) s.provider, s.race_id, s.priority, s.next_due_at, s.event_id
             FROM ${s}.sync_state s
             WHERE s.next_due_at <= $1 AND ${UNLEASED("$1")} AND ($2::text[] IS NULL OR s.provider = ANY($2::text[]))
               AND (s.provider, s.race_id) NOT IN (SELECT * FROM unnest($3::text[], $4::text[]))
               AND ${seenBy("$6")}
             ORDER BY s.provider, s.race_id, s.priority, s.next_due_at, s.event_id) AS r
           ORDER BY priority, next_due_at, provider, event_id LIMIT $5`,
          [args.now, providers, tried.map((r) => r.provider), tried.map((r) => r.raceId), args.maxRaces - chosen + 4, connectionIds],
        );
        if (candidates.rows.length === 0) break;
        for (const c of candidates.rows) {
          if (chosen >= args.maxRaces) break;
          tried.push({ provider: c.provider, raceId: c.race_id });
          const got = await tx.query<LeasedRow>(
            `WITH race_lock AS (SELECT pg_try_advisory_xact_lock(hashtext($6)) AS ok),
             due AS (
               SELECT s.provider, s.event_id, s.lease_owner AS old_owner, s.lease_expires_at AS old_expires
               FROM ${s}.sync_state s, race_lock
               WHERE race_lock.ok AND s.provider = $3 AND s.race_id = $4 AND s.next_due_at <= $8 AND ${UNLEASED("$2")}
                 AND ${seenBy("$7")}
               FOR UPDATE OF s SKIP LOCKED)
             UPDATE ${s}.sync_state AS u SET lease_owner = $1, lease_expires_at = $5, updated_at = $2
             FROM due WHERE u.provider = due.provider AND u.event_id = due.event_id
             RETURNING u.provider, u.event_id, due.old_owner, due.old_expires`,
            [
              args.owner,
              args.now,
              c.provider,
              c.race_id,
              addMs(args.now, args.leaseMs),
              `${s}:claim:${c.provider}:${c.race_id}`,
              connectionIds,
              addMs(args.now, Math.max(0, args.alongWithinMs ?? 0)),
            ],
          );
          if (got.rows.length === 0) continue;
          chosen++;
          for (const r of got.rows) leased.push({ provider: r.provider, eventId: r.event_id });
          expired.push(...expiredLeases(got.rows, args.now));
        }
      }
      await closeAbandonedRuns(tx, s, expired);
      return loadEventsByRefs(tx, s, leased);
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
      // The row lock waits for a concurrent claimer, then FREE is re-checked on the committed
      // row: of two claimers of one event exactly one gets it. The old lease is read under that
      // lock, so an expired one's runs are closed by exactly the claimer that took it over.
      const leased = await tx.query<LeasedRow>(
        `WITH old AS (
           SELECT s.provider, s.event_id, s.lease_owner AS old_owner, s.lease_expires_at AS old_expires FROM ${s}.sync_state s
           WHERE (s.provider, s.event_id) IN (SELECT * FROM unnest($3::text[], $4::text[])) AND ${FREE}
           FOR UPDATE OF s)
         UPDATE ${s}.sync_state AS u SET lease_owner = $1, lease_expires_at = $5, updated_at = $2
         FROM old WHERE u.provider = old.provider AND u.event_id = old.event_id
         RETURNING u.provider, u.event_id, old.old_owner, old.old_expires`,
        [args.owner, args.now, providers, ids, addMs(args.now, args.leaseMs)],
      );
      await closeAbandonedRuns(tx, s, expiredLeases(leased.rows, args.now));
      return loadEventsByRefs(
        tx,
        s,
        leased.rows.map((r) => ({ provider: r.provider, eventId: r.event_id })),
      );
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
