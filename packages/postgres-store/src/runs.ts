import { PROBLEM_SAMPLE_SIZE, StoreError } from "@project88/core";
import type { CommitPageArgs, FailRunArgs, PassKind, RowProblem, RunStatus, SerializedError, StartRunArgs, SyncRun } from "@project88/core";
import { applyStatePatch } from "./catalog.js";
import type { SqlQueryable } from "./sql-client.js";
import type { StoreContext } from "./rows.js";

/** Run and discovery ids are bigint identities; anything else names no row (and must not fail a cast). */
export const RUN_ID = /^\d{1,18}$/;

/** What a pass's success does to each of its events, besides the engine's patch. */
const SUCCESS = ["last_error = NULL", "failures = 0", "last_success_at = $3", "lease_owner = NULL", "lease_expires_at = NULL"];
const RELEASE = ["lease_owner = NULL", "lease_expires_at = NULL"];

/** The error recorded on a run or discovery closed as abandoned (no secret: owners are process names). */
export function abandonedError(what: "run" | "discovery"): SerializedError {
  return {
    name: "LeaseLostError",
    code: "LEASE_LOST",
    message: `[postgres-store] ${what} abandoned: its process's lease expired before it finished`,
    retryable: true,
  };
}

/** An event whose expired lease a claim just took over: who held it, and until when. */
export interface ExpiredLease {
  readonly provider: string;
  readonly eventId: string;
  readonly owner: string;
  readonly expiredAt: Date;
}

/**
 * Closes as abandoned the runs still `running` under leases a claim took over (their process
 * died or stopped renewing), with the instant the lease expired as `finished_at`. Runs inside
 * the claim's transaction, so the run is closed exactly when its work changes hands.
 */
export async function closeAbandonedRuns(q: SqlQueryable, s: string, expired: readonly ExpiredLease[]): Promise<void> {
  if (expired.length === 0) return;
  await q.query(
    `UPDATE ${s}.sync_runs r SET status = 'abandoned', finished_at = a.expired_at, error = $5::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS a(provider, event_id, owner, expired_at)
     WHERE r.status = 'running' AND r.provider = a.provider AND r.owner = a.owner AND a.event_id = ANY(r.event_ids)`,
    [
      expired.map((e) => e.provider),
      expired.map((e) => e.eventId),
      expired.map((e) => e.owner),
      expired.map((e) => e.expiredAt),
      JSON.stringify(abandonedError("run")),
    ],
  );
}

/** `SyncStore.startRun`: records a pass as running and returns its id. */
export async function startRun(ctx: StoreContext, args: StartRunArgs): Promise<string> {
  const result = await ctx.db.query<{ id: string }>(
    `INSERT INTO ${ctx.s}.sync_runs (connection_id, provider, race_id, event_ids, kind, owner, started_at)
     VALUES ($1, $2, $3, $4::text[], $5, $6, $7) RETURNING id::text AS id`,
    [args.connectionId, args.provider, args.raceId, [...args.eventIds], args.kind, args.owner, args.now],
    { operation: "startRun" },
  );
  return result.rows[0]!.id;
}

/**
 * Marks vanished the active registrations of the events that the full pull did not see, unless
 * more than `maxShare` of them would go (a truncated pull must not wipe an event).
 */
async function vanish(
  q: SqlQueryable,
  s: string,
  args: CommitPageArgs,
  seen: readonly string[],
  maxShare: number,
): Promise<{ vanished: number; active: number; refused: boolean }> {
  const params = [args.provider, [...args.eventIds], [...seen]];
  const seenSet = "(SELECT DISTINCT unnest($3::text[]) AS id)";
  const counted = await q.query<{ active: number; missing: number }>(
    `SELECT count(*)::int AS active, count(*) FILTER (WHERE seen.id IS NULL)::int AS missing
     FROM ${s}.registrations g LEFT JOIN ${seenSet} seen ON seen.id = g.registration_id
     WHERE g.provider = $1 AND g.event_id = ANY($2::text[]) AND g.status = 'active'`,
    params,
  );
  const active = counted.rows[0]?.active ?? 0;
  const missing = counted.rows[0]?.missing ?? 0;
  if (active > 0 && missing / active > maxShare) return { vanished: 0, active, refused: true };
  if (missing === 0) return { vanished: 0, active, refused: false };
  const marked = await q.query(
    `UPDATE ${s}.registrations g SET status = 'vanished', updated_at = $4, status_changed_at = $4
     WHERE g.provider = $1 AND g.event_id = ANY($2::text[]) AND g.status = 'active'
       AND NOT EXISTS (SELECT 1 FROM ${seenSet} seen WHERE seen.id = g.registration_id)`,
    [...params, args.now],
  );
  return { vanished: marked.rowCount, active, refused: false };
}

/**
 * Adds a page's counts to its run and, on the last page, completes the pass: reconciliation,
 * the engine's state patches, success bookkeeping and lease release. Runs inside `commitPage`'s
 * transaction (the leases were checked and locked there).
 */
export async function finishPass(
  q: SqlQueryable,
  s: string,
  args: CommitPageArgs,
  counts: { inserted: number; updated: number; unchanged: number; removed: number; problems: readonly RowProblem[] },
): Promise<{ vanished: number; active: number; refused: boolean } | undefined> {
  const finish = args.finish;
  const result = finish?.vanish ? await vanish(q, s, args, finish.vanish.seenRegistrationIds, finish.vanish.maxShare) : undefined;
  // The run keeps its first problems as a sample: only what can still fit is sent.
  const sample = JSON.stringify(counts.problems.slice(0, PROBLEM_SAMPLE_SIZE));
  await q.query(
    `UPDATE ${s}.sync_runs SET rows_inserted = rows_inserted + $2, rows_updated = rows_updated + $3,
       rows_unchanged = rows_unchanged + $4, rows_removed = rows_removed + $5, problems = problems + $6,
       problem_sample = CASE WHEN $6 = 0 OR jsonb_array_length(problem_sample) >= ${PROBLEM_SAMPLE_SIZE} THEN problem_sample
         ELSE (SELECT jsonb_agg(e ORDER BY i) FROM jsonb_array_elements(problem_sample || $7::jsonb) WITH ORDINALITY AS x(e, i) WHERE i <= ${PROBLEM_SAMPLE_SIZE}) END
       ${finish ? ", status = 'succeeded', finished_at = $8, api_calls = $9" : ""}
     WHERE id = $1::bigint`,
    [
      args.runId,
      counts.inserted,
      counts.updated,
      counts.unchanged,
      counts.removed,
      counts.problems.length,
      sample,
      ...(finish ? [args.now, finish.apiCalls] : []),
    ],
  );
  if (!finish) return undefined;
  const patches = new Map(finish.states.map((p) => [p.eventId, p]));
  for (const eventId of args.eventIds) {
    // The store owns these fields on success; drop them from the patch so each is set once.
    const { lastError: _e, failures: _f, ...patch } = patches.get(eventId) ?? { eventId };
    await applyStatePatch(q, s, args.provider, patch, args.now, SUCCESS);
  }
  return result;
}

/**
 * `SyncStore.failRun`: the run is failed and the backoff applied, in one transaction. A patch
 * goes only to an event no other owner holds an unexpired lease on (a late failure must not
 * clobber the new owner's schedule); only the owner's own leases are released. Rows stay.
 */
export async function failRun(ctx: StoreContext, args: FailRunArgs): Promise<void> {
  const { s } = ctx;
  await ctx.db.transaction(
    async (tx) => {
      const run = RUN_ID.test(args.runId)
        ? await tx.query(
            `UPDATE ${s}.sync_runs SET status = 'failed', finished_at = $2, api_calls = $3, error = $4::jsonb WHERE id = $1::bigint`,
            [args.runId, args.now, args.apiCalls, JSON.stringify(args.error)],
          )
        : { rowCount: 0 };
      if (run.rowCount === 0)
        throw new StoreError(`[postgres-store] failRun: run ${args.runId} is unknown; nothing was recorded`, { retryable: false });
      for (const patch of args.states) {
        const exists = await tx.query(`SELECT 1 FROM ${s}.sync_state WHERE provider = $1 AND event_id = $2`, [
          args.provider,
          patch.eventId,
        ]);
        if (exists.rowCount === 0) {
          throw new StoreError(`[postgres-store] failRun: ${args.provider} event ${patch.eventId} is unknown; nothing was recorded`, {
            retryable: false,
          });
        }
        await applyStatePatch(tx, s, args.provider, patch, args.now, [], { owner: args.owner, orFree: true });
      }
      await tx.query(
        `UPDATE ${s}.sync_state SET ${RELEASE.join(", ")}, updated_at = $4
       WHERE provider = $1 AND event_id = ANY($2::text[]) AND lease_owner = $3`,
        [args.provider, [...args.eventIds], args.owner, args.now],
      );
    },
    { operation: "failRun" },
  );
}

interface RunRow {
  id: string;
  connection_id: string;
  provider: string;
  race_id: string;
  event_ids: string[];
  kind: PassKind;
  started_at: Date;
  finished_at: Date | null;
  status: RunStatus;
  api_calls: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  rows_removed: number;
  error: SerializedError | null;
  problems: number;
  problem_sample: RowProblem[] | null;
}

/** `SyncStore.listRuns`: newest first, default 50. */
export async function listRuns(
  ctx: StoreContext,
  args: { readonly limit?: number; readonly eventId?: string; readonly status?: RunStatus; readonly withProblems?: boolean } = {},
): Promise<SyncRun[]> {
  const result = await ctx.db.query<RunRow>(
    `SELECT id::text AS id, connection_id, provider, race_id, event_ids, kind, started_at, finished_at, status, api_calls,
       rows_inserted, rows_updated, rows_unchanged, rows_removed, error, problems, problem_sample
     FROM ${ctx.s}.sync_runs
     WHERE ($1::text IS NULL OR $1::text = ANY(event_ids)) AND ($2::text IS NULL OR status = $2)${args.withProblems === true ? " AND problems > 0" : ""}
     ORDER BY started_at DESC, id DESC LIMIT $3`,
    [args.eventId ?? null, args.status ?? null, args.limit ?? 50],
    { operation: "listRuns", retry: true },
  );
  return result.rows.map((r) => ({
    id: r.id,
    connectionId: r.connection_id,
    provider: r.provider,
    raceId: r.race_id,
    eventIds: r.event_ids,
    kind: r.kind,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    apiCalls: r.api_calls,
    rowsInserted: r.rows_inserted,
    rowsUpdated: r.rows_updated,
    rowsUnchanged: r.rows_unchanged,
    rowsRemoved: r.rows_removed,
    error: r.error,
    problems: r.problems,
    problemSample: r.problem_sample ?? [],
  }));
}
