import { StoreError } from "@project88/core";
import type { DiscoveryDiff, EventRef, SaveDiscoveryArgs, SerializedError, StoredEvent, SyncStatePatch } from "@project88/core";
import type { SqlQueryable } from "./sql-client.js";
import { type EventRow, STATE_COLUMNS, type StoreContext, patchAssignments, refArrays, toStoredEvent } from "./rows.js";

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** The columns of an `EventRow`, over `events e`, `races r` and `sync_state s`. */
function eventColumns(s: string): string {
  return `e.provider, e.event_id, e.race_id, r.name AS race_name, r.timezone, e.name, e.starts_at, e.ends_at,
       (SELECT array_agg(ce.connection_id ORDER BY ce.connection_id) FROM ${s}.connection_events ce
         WHERE ce.provider = e.provider AND ce.event_id = e.event_id) AS connection_ids,
       (SELECT json_agg(json_build_object('connectionId', ce.connection_id, 'since', ce.forbidden_at, 'error', ce.forbidden_error)
           ORDER BY ce.connection_id) FROM ${s}.connection_events ce
         WHERE ce.provider = e.provider AND ce.event_id = e.event_id AND ce.forbidden_at IS NOT NULL) AS forbidden,
       coalesce((SELECT c.active FROM ${s}.event_counts c WHERE c.provider = e.provider AND c.event_id = e.event_id), 0) AS active,
       ${STATE_COLUMNS}`;
}

function eventJoin(s: string): string {
  return `${s}.events e
     JOIN ${s}.races r ON r.provider = e.provider AND r.race_id = e.race_id
     JOIN ${s}.sync_state s ON s.provider = e.provider AND s.event_id = e.event_id`;
}

const limitClause = (limit: number | undefined) => (limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(limit))}`);

/**
 * Loads events with their race, state, connections and active count. `where` filters the
 * `events e` / `sync_state s` join; its parameters follow. The count comes from `event_counts`
 * (kept by triggers), so loading an event never counts its registrations.
 */
export async function loadEvents(
  q: SqlQueryable,
  s: string,
  where: string,
  params: readonly unknown[],
  limit?: number,
): Promise<StoredEvent[]> {
  const result = await q.query<EventRow>(
    `SELECT ${eventColumns(s)}
     FROM ${eventJoin(s)}
     WHERE ${where}
     ORDER BY e.starts_at, e.provider, e.event_id${limitClause(limit)}`,
    params,
  );
  return result.rows.map(toStoredEvent);
}

/**
 * Loads the events whose `(provider, event_id)` the subquery `keys` yields, one primary-key
 * lookup per key. The lateral subquery (kept apart by `OFFSET 0`) stops the planner from turning
 * a few hundred keys into a hash join over every event and state ever stored: its cost follows
 * the keys, never the size of history. JIT compilation is turned off for the rest of the caller's
 * transaction: a working set of a few thousand events is estimated above `jit_above_cost`, and
 * compiling then took longer than the lookups (0.08-0.7 s against 0.1-0.3 s for 2,370 events).
 */
export async function loadEventsByKeys(
  q: SqlQueryable,
  s: string,
  keys: string,
  params: readonly unknown[],
  limit?: number,
): Promise<StoredEvent[]> {
  await q.query("SELECT set_config('jit', 'off', true)");
  const result = await q.query<EventRow>(
    `SELECT x.* FROM (${keys}) AS k (provider, event_id)
     CROSS JOIN LATERAL (
       SELECT ${eventColumns(s)} FROM ${eventJoin(s)}
       WHERE e.provider = k.provider AND e.event_id = k.event_id OFFSET 0) AS x
     ORDER BY x.starts_at, x.provider, x.event_id${limitClause(limit)}`,
    params,
  );
  return result.rows.map(toStoredEvent);
}

/** Loads the given events (those that exist). */
export function loadEventsByRefs(q: SqlQueryable, s: string, refs: readonly EventRef[]): Promise<StoredEvent[]> {
  if (refs.length === 0) return Promise.resolve([]);
  return loadEventsByKeys(q, s, "SELECT DISTINCT * FROM unnest($1::text[], $2::text[])", refArrays(refs));
}

/** `SyncStore.listEvents`. */
export function listEvents(
  ctx: StoreContext,
  args: { readonly refs?: readonly EventRef[]; readonly provider?: string } = {},
): Promise<StoredEvent[]> {
  const op = { operation: "listEvents", retry: true } as const;
  return ctx.db.transaction(async (tx) => {
    if (args.refs) {
      const refs = args.provider === undefined ? args.refs : args.refs.filter((r) => r.provider === args.provider);
      return loadEventsByRefs(tx, ctx.s, refs);
    }
    if (args.provider !== undefined) return loadEvents(tx, ctx.s, "e.provider = $1", [args.provider]);
    return loadEvents(tx, ctx.s, "true", []);
  }, op);
}

function ownerClause(condition: { readonly owner: string; readonly orFree?: boolean } | undefined): string {
  if (!condition) return "";
  return condition.orFree ? " AND (lease_owner = $4 OR lease_owner IS NULL OR lease_expires_at <= $3)" : " AND lease_owner = $4";
}

/**
 * Applies one patch to an event's state, plus fixed `extra` assignments (already SQL) and an
 * extra `WHERE` condition on `$3` (the owner) when given. Returns whether a row matched.
 */
export async function applyStatePatch(
  q: SqlQueryable,
  s: string,
  provider: string,
  patch: SyncStatePatch,
  now: Date,
  extra: readonly string[] = [],
  ownerCondition?: { readonly owner: string; readonly orFree?: boolean },
): Promise<boolean> {
  const base: unknown[] = [provider, patch.eventId, now];
  if (ownerCondition) base.push(ownerCondition.owner);
  const { sql, params } = patchAssignments(patch, base.length + 1);
  const sets = [...sql, ...extra, "updated_at = $3"];
  const result = await q.query(
    `UPDATE ${s}.sync_state SET ${sets.join(", ")}
     WHERE provider = $1 AND event_id = $2${ownerClause(ownerCondition)}`,
    [...base, ...params],
  );
  return result.rowCount > 0;
}

/** `SyncStore.updateSchedule`: one UPDATE per patch, all in one transaction. */
export async function updateSchedule(
  ctx: StoreContext,
  args: { readonly now: Date; readonly patches: readonly (SyncStatePatch & { readonly provider: string })[] },
): Promise<void> {
  if (args.patches.length === 0) return;
  await ctx.db.transaction(
    async (tx) => {
      for (const patch of args.patches) {
        if (!(await applyStatePatch(tx, ctx.s, patch.provider, patch, args.now))) {
          // Throwing rolls the whole batch back: all patches or none.
          throw new StoreError(
            `[postgres-store] updateSchedule: ${patch.provider} event ${patch.eventId} is unknown; no schedule was changed`,
            {
              retryable: false,
            },
          );
        }
      }
    },
    { operation: "updateSchedule" },
  );
}

function validDate(value: unknown): boolean {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** Refuses a discovery with a malformed race or event before anything is stored. */
function validateDiscovery(args: SaveDiscoveryArgs): void {
  for (const race of args.races) {
    const where = `[postgres-store] saveDiscovery: race ${race.provider}:${race.raceId}`;
    const fail = (problem: string) => new StoreError(`${where}: ${problem}; nothing was saved`, { retryable: false });
    if (race.provider !== args.provider) throw fail(`provider is not ${args.provider}`);
    if (typeof race.raceId !== "string" || race.raceId === "") throw fail("raceId is empty");
    if (typeof race.timezone !== "string" || race.timezone === "") throw fail("timezone is empty");
    if (race.nextDate !== null && !/^\d{4}-\d{2}-\d{2}$/.test(race.nextDate))
      throw fail(`nextDate ${JSON.stringify(race.nextDate)} is not YYYY-MM-DD`);
    for (const event of race.events) {
      const at = `event ${event.eventId}`;
      if (typeof event.eventId !== "string" || event.eventId === "") throw fail("an eventId is empty");
      if (event.raceId !== race.raceId || event.provider !== race.provider) throw fail(`${at} belongs to another race`);
      if (!validDate(event.startsAt)) throw fail(`${at}: startsAt is not a valid Date`);
      if (event.endsAt !== null && !validDate(event.endsAt)) throw fail(`${at}: endsAt is not a valid Date`);
    }
  }
}

/**
 * `SyncStore.saveDiscovery`: races, events, connection links and new sync states, in one
 * transaction. Every link the discovery lists is cleared of a forbidden mark.
 */
export async function saveDiscovery(ctx: StoreContext, args: SaveDiscoveryArgs): Promise<DiscoveryDiff> {
  validateDiscovery(args);
  const { s } = ctx;
  const races = [...new Map(args.races.map((r) => [r.raceId, r])).values()];
  const events = [...new Map(races.flatMap((r) => r.events.map((e) => [e.eventId, { ...e, raceId: r.raceId }] as const))).values()];
  const eventIds = events.map((e) => e.eventId);
  return ctx.db.transaction(
    async (tx) => {
      const raceRows = await tx.query<{ race_id: string; inserted: boolean }>(
        `INSERT INTO ${s}.races AS r (provider, race_id, name, timezone, next_date, raw, first_seen_at, updated_at)
       SELECT $1, t.race_id, t.name, t.timezone, t.next_date::date, t.raw, $7, $7
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) AS t(race_id, name, timezone, next_date, raw)
       ON CONFLICT (provider, race_id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone,
         next_date = excluded.next_date, raw = excluded.raw, updated_at = excluded.updated_at
       WHERE (r.name, r.timezone, r.next_date, r.raw) IS DISTINCT FROM
             (excluded.name, excluded.timezone, excluded.next_date, excluded.raw)
       RETURNING r.race_id, (xmax = 0) AS inserted`,
        [
          args.provider,
          races.map((r) => r.raceId),
          races.map((r) => r.name),
          races.map((r) => r.timezone),
          races.map((r) => r.nextDate),
          races.map((r) => json(r.raw)),
          args.now,
        ],
      );
      const before = await tx.query<{ event_id: string; starts_at: Date; ends_at: Date | null }>(
        `SELECT event_id, starts_at, ends_at FROM ${s}.events WHERE provider = $1 AND event_id = ANY($2::text[]) FOR UPDATE`,
        [args.provider, eventIds],
      );
      const known = new Map(before.rows.map((r) => [r.event_id, r]));
      await tx.query(
        `INSERT INTO ${s}.events AS e (provider, event_id, race_id, name, starts_at, ends_at, raw, first_seen_at, updated_at)
       SELECT $1, t.event_id, t.race_id, t.name, t.starts_at, t.ends_at, t.raw, $8, $8
       FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::jsonb[])
         AS t(event_id, race_id, name, starts_at, ends_at, raw)
       ON CONFLICT (provider, event_id) DO UPDATE SET race_id = excluded.race_id, name = excluded.name,
         starts_at = excluded.starts_at, ends_at = excluded.ends_at, raw = excluded.raw, updated_at = excluded.updated_at
       WHERE (e.race_id, e.name, e.starts_at, e.ends_at, e.raw) IS DISTINCT FROM
             (excluded.race_id, excluded.name, excluded.starts_at, excluded.ends_at, excluded.raw)`,
        [
          args.provider,
          eventIds,
          events.map((e) => e.raceId),
          events.map((e) => e.name),
          events.map((e) => e.startsAt),
          events.map((e) => e.endsAt),
          events.map((e) => json(e.raw)),
          args.now,
        ],
      );
      await tx.query(
        `INSERT INTO ${s}.connection_events (connection_id, provider, event_id, first_seen_at, last_seen_at)
       SELECT $1, $2, t.event_id, $4, $4 FROM unnest($3::text[]) AS t(event_id)
       ON CONFLICT (connection_id, provider, event_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,
         forbidden_at = NULL, forbidden_error = NULL`,
        [args.connectionId, args.provider, eventIds, args.now],
      );
      // A new event is due at once: its backfill is the first thing to run.
      await tx.query(
        `INSERT INTO ${s}.sync_state (provider, event_id, race_id, priority, next_due_at, updated_at)
       SELECT $1, t.event_id, t.race_id, $4, $5, $5 FROM unnest($2::text[], $3::text[]) AS t(event_id, race_id)
       ON CONFLICT (provider, event_id) DO UPDATE SET race_id = excluded.race_id
       WHERE ${s}.sync_state.race_id <> excluded.race_id`,
        [args.provider, eventIds, events.map((e) => e.raceId), args.newEventPriority, args.now],
      );
      const ms = (d: Date | null) => (d === null ? null : d.getTime());
      return {
        newRaces: raceRows.rows.filter((r) => r.inserted).map((r) => r.race_id),
        newEvents: events.filter((e) => !known.has(e.eventId)).map((e) => ({ provider: args.provider, eventId: e.eventId })),
        changedEvents: events.flatMap((e) => {
          const prev = known.get(e.eventId);
          if (!prev || (ms(prev.starts_at) === ms(e.startsAt) && ms(prev.ends_at) === ms(e.endsAt))) return [];
          return [{ ref: { provider: args.provider, eventId: e.eventId }, previousStartsAt: prev.starts_at, startsAt: e.startsAt }];
        }),
      };
    },
    { operation: "saveDiscovery" },
  );
}

/**
 * `SyncStore.markForbidden`: one UPDATE of the connection's links to the race's events. A link
 * already marked keeps its first `forbidden_at` and takes the latest error.
 */
export async function markForbidden(
  ctx: StoreContext,
  args: {
    readonly connectionId: string;
    readonly provider: string;
    readonly raceId: string;
    readonly now: Date;
    readonly error: SerializedError;
  },
): Promise<EventRef[]> {
  const { s } = ctx;
  const marked = await ctx.db.query<{ provider: string; event_id: string }>(
    `UPDATE ${s}.connection_events AS ce SET forbidden_at = COALESCE(ce.forbidden_at, $4), forbidden_error = $5::jsonb
     FROM ${s}.events e
     WHERE ce.connection_id = $1 AND ce.provider = $2 AND e.provider = ce.provider AND e.event_id = ce.event_id AND e.race_id = $3
     RETURNING ce.provider, ce.event_id`,
    [args.connectionId, args.provider, args.raceId, args.now, JSON.stringify(args.error)],
    { operation: "markForbidden", retry: true },
  );
  return marked.rows
    .map((r) => ({ provider: r.provider, eventId: r.event_id }))
    .sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
}
