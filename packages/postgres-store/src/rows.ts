import type { EventRef, ForbiddenLink, SerializedError, StoredEvent, SyncState, SyncStatePatch } from "@project88/core";

/** The store's schema-qualified context, shared by every concern's module. */
export interface StoreContext {
  readonly db: import("./sql-client.js").SqlClient;
  /** The quoted schema name, ready to prefix a table: `${ctx.s}.events`. */
  readonly s: string;
}

/** Columns of `sync_state` as `SyncState` reads them (table alias `s`). */
export const STATE_COLUMNS = `s.tier, s.priority, s.next_due_at, s.cursor_at, s.removals_cursor_at, s.removals_due_at,
  s.backfill_after, s.backfilled_at, s.reconcile_due_at, s.last_reconciled_at, s.last_success_at, s.last_error,
  s.failures, s.lease_owner, s.lease_expires_at`;

/** A `sync_state` row as the driver returns it. */
export interface StateRow {
  provider: string;
  event_id: string;
  race_id: string;
  tier: string | null;
  priority: number;
  next_due_at: Date | null;
  cursor_at: Date | null;
  removals_cursor_at: Date | null;
  removals_due_at: Date | null;
  backfill_after: string | null;
  backfilled_at: Date | null;
  reconcile_due_at: Date | null;
  last_reconciled_at: Date | null;
  last_success_at: Date | null;
  last_error: SerializedError | null;
  failures: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
}

/** An event joined with its race, state, connections and active count. */
export interface EventRow extends StateRow {
  race_name: string;
  timezone: string;
  name: string;
  starts_at: Date;
  ends_at: Date | null;
  connection_ids: string[] | null;
  /** `json_agg` of the forbidden links (instants as ISO text), or null when none. */
  forbidden: { connectionId: string; since: string; error: SerializedError }[] | null;
  active: number;
}

/** Maps a joined row to `SyncState`. */
export function toState(row: StateRow): SyncState {
  return {
    provider: row.provider,
    eventId: row.event_id,
    raceId: row.race_id,
    tier: row.tier,
    priority: row.priority,
    nextDueAt: row.next_due_at,
    cursorAt: row.cursor_at,
    removalsCursorAt: row.removals_cursor_at,
    removalsDueAt: row.removals_due_at,
    backfillAfter: row.backfill_after,
    backfilledAt: row.backfilled_at,
    reconcileDueAt: row.reconcile_due_at,
    lastReconciledAt: row.last_reconciled_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    failures: row.failures,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
  };
}

/** Maps a joined row to `StoredEvent`. */
export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    provider: row.provider,
    eventId: row.event_id,
    raceId: row.race_id,
    raceName: row.race_name,
    timezone: row.timezone,
    name: row.name,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    connectionIds: row.connection_ids ?? [],
    forbidden: (row.forbidden ?? []).map(
      (f): ForbiddenLink => ({ connectionId: f.connectionId, since: new Date(f.since), error: f.error }),
    ),
    state: toState(row),
    activeRegistrations: row.active,
  };
}

/** Splits refs into the two parallel arrays an `unnest($1::text[], $2::text[])` takes. */
export function refArrays(refs: readonly EventRef[]): [string[], string[]] {
  return [refs.map((r) => r.provider), refs.map((r) => r.eventId)];
}

const PATCH_COLUMNS: Record<Exclude<keyof SyncStatePatch, "eventId">, string> = {
  tier: "tier",
  priority: "priority",
  nextDueAt: "next_due_at",
  cursorAt: "cursor_at",
  removalsCursorAt: "removals_cursor_at",
  removalsDueAt: "removals_due_at",
  backfillAfter: "backfill_after",
  backfilledAt: "backfilled_at",
  reconcileDueAt: "reconcile_due_at",
  lastReconciledAt: "last_reconciled_at",
  lastError: "last_error",
  failures: "failures",
};

/**
 * `SET` assignments for a patch: only the fields present (an explicit `null` clears the column),
 * with parameters numbered from `first`. Unknown keys are ignored.
 */
export function patchAssignments(patch: SyncStatePatch, first: number): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  for (const [key, column] of Object.entries(PATCH_COLUMNS)) {
    if (!(key in patch)) continue;
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) continue;
    params.push(key === "lastError" && value !== null ? JSON.stringify(value) : value);
    sql.push(`${column} = $${first + params.length - 1}${key === "lastError" ? "::jsonb" : ""}`);
  }
  return { sql, params };
}
