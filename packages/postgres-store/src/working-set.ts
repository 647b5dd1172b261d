import type { EventSummary, StoredEvent, WorkingSetArgs } from "@project88/core";
import { loadEventsByKeys } from "./catalog.js";
import type { StoreContext } from "./rows.js";

/**
 * `SyncStore.listWorkingSet`. Two indexed halves give the keys: events not done (the partial
 * index `sync_state_due_idx` holds only those) and events that ended at or after `recentSince`
 * (`events_ended_idx`); each key is then loaded by primary key. Nothing reads a finished event
 * of an earlier season.
 */
export function listWorkingSet(ctx: StoreContext, args: WorkingSetArgs): Promise<StoredEvent[]> {
  const { s } = ctx;
  const providers = args.providers ? [...args.providers] : null;
  return ctx.db.transaction(
    (tx) =>
      loadEventsByKeys(
        tx,
        s,
        `SELECT w.provider, w.event_id FROM ${s}.sync_state w
           WHERE w.next_due_at IS NOT NULL AND ($2::text[] IS NULL OR w.provider = ANY($2::text[]))
         UNION
         SELECT r.provider, r.event_id FROM ${s}.events r
           WHERE coalesce(r.ends_at, r.starts_at) >= $1 AND ($2::text[] IS NULL OR r.provider = ANY($2::text[]))`,
        [args.recentSince, providers],
        args.limit,
      ),
    { operation: "listWorkingSet", retry: true },
  );
}

/** `SyncStore.summarizeEvents`: three aggregates in one round trip, none of them over registrations. */
export async function summarizeEvents(
  ctx: StoreContext,
  args: { readonly providers?: readonly string[] | undefined } = {},
): Promise<EventSummary> {
  const { s } = ctx;
  const providers = args.providers ? [...args.providers] : null;
  const result = await ctx.db.query<{ pending: number; done: number; active: string }>(
    `SELECT
       (SELECT count(*)::int FROM ${s}.sync_state WHERE next_due_at IS NOT NULL AND ($1::text[] IS NULL OR provider = ANY($1::text[]))) AS pending,
       (SELECT count(*)::int FROM ${s}.sync_state WHERE next_due_at IS NULL AND ($1::text[] IS NULL OR provider = ANY($1::text[]))) AS done,
       (SELECT coalesce(sum(active), 0)::bigint FROM ${s}.event_counts WHERE ($1::text[] IS NULL OR provider = ANY($1::text[]))) AS active`,
    [providers],
    { operation: "summarizeEvents", retry: true },
  );
  const row = result.rows[0];
  return { events: (row?.pending ?? 0) + (row?.done ?? 0), done: row?.done ?? 0, activeRegistrations: Number(row?.active ?? 0) };
}

/** `SyncStore.ping`: one trivial round trip. */
export async function ping(ctx: StoreContext): Promise<void> {
  await ctx.db.query("SELECT 1", [], { operation: "ping" });
}
