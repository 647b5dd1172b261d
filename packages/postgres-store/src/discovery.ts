import { StoreError } from "@project88/core";
import type { DiscoveryRecord, RunStatus, SerializedError } from "@project88/core";
import type { StoreContext } from "./rows.js";
import { abandonedError, RUN_ID } from "./runs.js";
import { addMs } from "./sql.js";

/**
 * `SyncStore.beginDiscovery`: the ledger that makes one discovery per connection and slot
 * across all processes. Callers for one connection are serialised by a transaction-scoped
 * advisory lock, then the ledger decides: a success for this slot or a later one, or another
 * running record with an unexpired lease (whoever owns it), means "not you". A running record whose lease
 * expired (its process died) is closed as abandoned, at its lease's expiry, before the new one starts.
 */
export async function beginDiscovery(
  ctx: StoreContext,
  args: { readonly connectionId: string; readonly slot: Date; readonly owner: string; readonly now: Date; readonly leaseMs: number },
): Promise<string | null> {
  const { s } = ctx;
  return ctx.db.transaction(
    async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${s}.discovery:${args.connectionId}`]);
      const blocking = await tx.query<{ id: string }>(
        `SELECT id::text AS id FROM ${s}.discovery_runs
         WHERE connection_id = $1 AND ((status = 'succeeded' AND slot >= $2)
           OR (status = 'running' AND lease_expires_at > $3))
         LIMIT 1`,
        [args.connectionId, args.slot, args.now],
      );
      if (blocking.rows.length > 0) return null;
      // Every running record left is expired (the check above): its process died mid-discovery.
      await tx.query(
        `UPDATE ${s}.discovery_runs SET status = 'abandoned', finished_at = lease_expires_at, error = $2::jsonb
         WHERE connection_id = $1 AND status = 'running'`,
        [args.connectionId, JSON.stringify(abandonedError("discovery"))],
      );
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO ${s}.discovery_runs (connection_id, slot, owner, started_at, lease_expires_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
        [args.connectionId, args.slot, args.owner, args.now, addMs(args.now, args.leaseMs)],
      );
      return inserted.rows[0]!.id;
    },
    { operation: "beginDiscovery" },
  );
}

/** `SyncStore.renewDiscovery`: extends the lease only while `owner` holds it, unexpired, on a running record. */
export async function renewDiscovery(
  ctx: StoreContext,
  args: { readonly id: string; readonly owner: string; readonly now: Date; readonly leaseMs: number },
): Promise<boolean> {
  if (!RUN_ID.test(args.id)) return false;
  const renewed = await ctx.db.query(
    `UPDATE ${ctx.s}.discovery_runs SET lease_expires_at = $4
     WHERE id = $1::bigint AND owner = $2 AND status = 'running' AND lease_expires_at > $3`,
    [args.id, args.owner, args.now, addMs(args.now, args.leaseMs)],
    { operation: "renewDiscovery", retry: true },
  );
  return renewed.rowCount > 0;
}

/** `SyncStore.finishDiscovery`. */
export async function finishDiscovery(
  ctx: StoreContext,
  args: {
    readonly id: string;
    readonly now: Date;
    readonly status: "succeeded" | "failed";
    readonly races: number;
    readonly newEvents: number;
    readonly apiCalls: number;
    readonly error?: SerializedError | undefined;
  },
): Promise<void> {
  const updated = RUN_ID.test(args.id)
    ? await ctx.db.query(
        `UPDATE ${ctx.s}.discovery_runs SET status = $2, finished_at = $3, races = $4, new_events = $5, api_calls = $6, error = $7::jsonb
         WHERE id = $1::bigint`,
        [args.id, args.status, args.now, args.races, args.newEvents, args.apiCalls, args.error ? JSON.stringify(args.error) : null],
        { operation: "finishDiscovery" },
      )
    : { rowCount: 0 };
  if (updated.rowCount === 0)
    throw new StoreError(`[postgres-store] finishDiscovery: discovery ${args.id} is unknown`, { retryable: false });
}

interface DiscoveryRow {
  id: string;
  connection_id: string;
  slot: Date;
  started_at: Date;
  finished_at: Date | null;
  status: RunStatus;
  races: number;
  new_events: number;
  api_calls: number;
  error: SerializedError | null;
}

/** `SyncStore.lastDiscoveries`: the newest record of each connection. */
export async function lastDiscoveries(
  ctx: StoreContext,
  args: { readonly connectionIds?: readonly string[] } = {},
): Promise<DiscoveryRecord[]> {
  const result = await ctx.db.query<DiscoveryRow>(
    `SELECT DISTINCT ON (connection_id) id::text AS id, connection_id, slot, started_at, finished_at, status, races, new_events,
       api_calls, error
     FROM ${ctx.s}.discovery_runs WHERE ($1::text[] IS NULL OR connection_id = ANY($1::text[]))
     ORDER BY connection_id, started_at DESC, id DESC`,
    [args.connectionIds ? [...args.connectionIds] : null],
    { operation: "lastDiscoveries", retry: true },
  );
  return result.rows.map((r) => ({
    id: r.id,
    connectionId: r.connection_id,
    slot: r.slot,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    races: r.races,
    newEvents: r.new_events,
    apiCalls: r.api_calls,
    error: r.error,
  }));
}
