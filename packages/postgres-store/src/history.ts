import type { EventHistorySummary, PruneHistoryArgs, PruneHistoryResult } from "@project88/core";
import type { StoreContext } from "./rows.js";

/**
 * `SyncStore.pruneHistory`: one transaction, two bounded deletes. Each takes the oldest rows
 * past its cutoff (`SKIP LOCKED`, so two processes pruning at once take different rows), deletes
 * them, and folds what they said into `event_history` in the same statement: a summary counts
 * exactly the rows that are gone.
 */
export async function pruneHistory(ctx: StoreContext, args: PruneHistoryArgs): Promise<PruneHistoryResult> {
  const { s } = ctx;
  const batch = Math.max(0, Math.floor(args.batchSize));
  if (batch === 0 || (args.runsBefore === null && args.statusChangesBefore === null)) return { runs: 0, statusChanges: 0 };
  return ctx.db.transaction(
    async (tx) => {
      let runs = 0;
      let statusChanges = 0;
      if (args.runsBefore !== null) {
        const result = await tx.query<{ n: number }>(
          `WITH doomed AS (
             SELECT id FROM ${s}.sync_runs WHERE status <> 'running' AND started_at < $1
             ORDER BY started_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
           gone AS (
             DELETE FROM ${s}.sync_runs r USING doomed d WHERE r.id = d.id
             RETURNING r.provider, r.event_ids, r.status, r.api_calls, r.rows_inserted, r.rows_updated, r.rows_removed, r.started_at),
           per_event AS (
             SELECT g.provider, u.event_id, count(*)::int AS runs, (count(*) FILTER (WHERE g.status = 'failed'))::int AS failed_runs,
               sum(g.api_calls) AS api_calls, sum(g.rows_inserted) AS rows_inserted, sum(g.rows_updated) AS rows_updated,
               sum(g.rows_removed) AS rows_removed, min(g.started_at) AS first_run_at, max(g.started_at) AS last_run_at
             FROM gone g CROSS JOIN LATERAL (SELECT DISTINCT unnest(g.event_ids) AS event_id) u
             GROUP BY g.provider, u.event_id),
           saved AS (
             INSERT INTO ${s}.event_history AS h
               (provider, event_id, runs, failed_runs, api_calls, rows_inserted, rows_updated, rows_removed, first_run_at, last_run_at)
             SELECT provider, event_id, runs, failed_runs, api_calls, rows_inserted, rows_updated, rows_removed, first_run_at, last_run_at
             FROM per_event ORDER BY provider, event_id
             ON CONFLICT (provider, event_id) DO UPDATE SET runs = h.runs + excluded.runs, failed_runs = h.failed_runs + excluded.failed_runs,
               api_calls = h.api_calls + excluded.api_calls, rows_inserted = h.rows_inserted + excluded.rows_inserted,
               rows_updated = h.rows_updated + excluded.rows_updated, rows_removed = h.rows_removed + excluded.rows_removed,
               first_run_at = least(h.first_run_at, excluded.first_run_at), last_run_at = greatest(h.last_run_at, excluded.last_run_at)
             RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [args.runsBefore, batch],
        );
        runs = result.rows[0]?.n ?? 0;
      }
      if (args.statusChangesBefore !== null) {
        const result = await tx.query<{ n: number }>(
          `WITH doomed AS (
             SELECT id FROM ${s}.registration_status_changes WHERE changed_at < $1
             ORDER BY changed_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
           gone AS (
             DELETE FROM ${s}.registration_status_changes c USING doomed d WHERE c.id = d.id RETURNING c.provider, c.event_id),
           saved AS (
             INSERT INTO ${s}.event_history AS h (provider, event_id, status_changes)
             SELECT provider, event_id, count(*)::int FROM gone GROUP BY provider, event_id ORDER BY provider, event_id
             ON CONFLICT (provider, event_id) DO UPDATE SET status_changes = h.status_changes + excluded.status_changes
             RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [args.statusChangesBefore, batch],
        );
        statusChanges = result.rows[0]?.n ?? 0;
      }
      return { runs, statusChanges };
    },
    { operation: "pruneHistory" },
  );
}

interface HistoryRow {
  provider: string;
  event_id: string;
  runs: number;
  failed_runs: number;
  api_calls: string;
  rows_inserted: string;
  rows_updated: string;
  rows_removed: string;
  first_run_at: Date | null;
  last_run_at: Date | null;
  status_changes: number;
}

/** `SyncStore.listHistorySummaries`. */
export async function listHistorySummaries(
  ctx: StoreContext,
  args: { readonly provider: string; readonly eventIds?: readonly string[] | undefined },
): Promise<EventHistorySummary[]> {
  const result = await ctx.db.query<HistoryRow>(
    `SELECT provider, event_id, runs, failed_runs, api_calls, rows_inserted, rows_updated, rows_removed, first_run_at, last_run_at, status_changes
     FROM ${ctx.s}.event_history WHERE provider = $1 AND ($2::text[] IS NULL OR event_id = ANY($2::text[])) ORDER BY event_id`,
    [args.provider, args.eventIds ? [...args.eventIds] : null],
    { operation: "listHistorySummaries", retry: true },
  );
  return result.rows.map((r) => ({
    provider: r.provider,
    eventId: r.event_id,
    runs: r.runs,
    failedRuns: r.failed_runs,
    apiCalls: Number(r.api_calls),
    rowsInserted: Number(r.rows_inserted),
    rowsUpdated: Number(r.rows_updated),
    rowsRemoved: Number(r.rows_removed),
    firstRunAt: r.first_run_at,
    lastRunAt: r.last_run_at,
    statusChanges: r.status_changes,
  }));
}
