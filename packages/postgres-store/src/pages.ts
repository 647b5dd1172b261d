import { checkPage, LeaseLostError, rawJsonText, REGISTRATION_COLUMNS, StoreError, withoutUnknownEvents } from "@project88/core";
import type {
  CheckedPage,
  CommitPageArgs,
  FieldProblem,
  ForgottenReturn,
  PageWriteResult,
  Registration,
  RegistrationField,
  Removal,
  StoredFieldProblem,
  StoredRegistration,
} from "@project88/core";
import { HELD } from "./claims.js";
import { preferLz4Compression } from "./compression.js";
import type { SqlQueryable } from "./sql-client.js";
import type { StoreContext } from "./rows.js";
import { RUN_ID, finishPass } from "./runs.js";

/** The registration columns a page writes (all of core's `REGISTRATION_COLUMNS` but the key). */
const REG_COLUMNS = REGISTRATION_COLUMNS.filter((c) => c.kind !== "id").map((c) => c.column);

/** The columns sent as JSON records (the raw rows travel on their own; the provider is a parameter). */
const RECORD_COLUMNS = REGISTRATION_COLUMNS.filter((c) => c.field !== "provider" && c.kind !== "json");

/**
 * The rows of a page as a relation `t`, from two parameters zipped row by row: the scalar
 * columns as one JSON array of records, read with the registrations row type
 * (`json_populate_recordset`, so each column gets its table type), and the raw rows as one text
 * of JSON documents, one a line (`string_to_array` on newlines, then ::jsonb per row).
 * Why this shape:
 * - both set-returning functions sit in a SELECT list, where they run in lockstep and stream;
 *   in FROM (`ROWS FROM`) each was first copied into a tuplestore, and a page's raw rows
 *   (~4 MB) spilled to a temporary file past work_mem;
 * - splitting on newlines is a byte scan, where a JSON array of the raw rows was lexed as JSON
 *   once as a whole and again, per row, by the jsonb cast;
 * - no pg array literals: escaping 1.5 KB JSON strings into `text[]` cost more than the upsert.
 * OFFSET 0 keeps the subquery from being inlined, so each raw row is cast to jsonb once, not
 * once per reference.
 */
function pageRelation(s: string, columns: readonly string[], records: string, raws: string): string {
  return `(SELECT ${columns.map((c) => `(p.r).${c}`).join(", ")}, p.raw_line::jsonb AS raw
    FROM (SELECT json_populate_recordset(NULL::${s}.registrations, ${records}::json) AS r,
                 unnest(string_to_array(${raws}, E'\\n')) AS raw_line) AS p OFFSET 0) AS t`;
}

/**
 * Serialises the raw rows (already JSON) one a line; a missing raw becomes JSON null. A line
 * break never occurs inside `JSON.stringify` output: it escapes every control character in
 * strings and adds no whitespace without an indent.
 */
function rawLines(raws: readonly (string | null)[]): string {
  return raws.map((r) => r ?? "null").join("\n");
}

/**
 * Keeps the newest of duplicate ids (ON CONFLICT cannot touch a row twice in one statement).
 * The rows were checked by core's `checkPage`, so every raw is storable. Returns the kept rows
 * and their raw JSON.
 */
function prepare<Row extends Registration | Removal>(input: readonly Row[]): { rows: Row[]; raws: (string | null)[] } {
  const byId = new Map<string, number>();
  input.forEach((row, i) => {
    const prev = byId.get(row.registrationId);
    const prevAt = prev === undefined ? undefined : (input[prev]?.modifiedAt?.getTime() ?? -Infinity);
    if (prevAt === undefined || prevAt <= (row.modifiedAt?.getTime() ?? -Infinity)) byId.set(row.registrationId, i);
  });
  const kept = [...byId.values()];
  const rows = kept.map((i) => input[i]!);
  return { rows, raws: rows.map((r) => rawJsonText(r.raw)) };
}

/** A row's problems as the `problems` column holds them (null when clean), first seen `now`. */
function problemsJson(
  problems: readonly FieldProblem[] | undefined,
  now: Date,
): { field: string; reason: string; firstSeenAt: string }[] | null {
  if (problems === undefined || problems.length === 0) return null;
  return problems.map((p) => ({ field: p.field, reason: p.reason, firstSeenAt: now.toISOString() }));
}

/**
 * The registrations upsert: one statement over the page relation. A conflicting row is
 * updated only when a column differs (IS DISTINCT FROM, raw jsonb included) and its
 * `modified_at` is not older than the stored one. A row from the feed is `active`, so a
 * vanished or removed one that comes back is reactivated (the status trigger records it).
 */
function upsertSql(s: string): string {
  const cols = REG_COLUMNS.join(", ");
  const differs = REG_COLUMNS.map((c) => `r.${c}`).join(", ");
  const incoming = REG_COLUMNS.map((c) => `excluded.${c}`).join(", ");
  return `WITH written AS (
    INSERT INTO ${s}.registrations AS r (provider, registration_id, ${cols}, problems,
      status, removed_reason, new_registration_id, first_seen_at, updated_at, status_changed_at)
    SELECT $1, t.registration_id, ${REG_COLUMNS.map((c) => `t.${c}`).join(", ")}, t.problems, 'active', NULL, NULL, $2, $2, $2
    FROM ${pageRelation(s, ["registration_id", ...REG_COLUMNS.filter((c) => c !== "raw"), "problems"], "$3", "$4")}
    -- Unchanged rows are filtered out before the upsert: ON CONFLICT would lock (and so write)
    -- every row it compares, turning a no-change re-sync into a full rewrite of the page.
    -- LATERAL ... OFFSET 0 (kept from being flattened): one primary-key probe per row, never
    -- a hash of the provider's whole table, whatever the (often stale) statistics say.
    LEFT JOIN LATERAL (SELECT * FROM ${s}.registrations AS x WHERE x.provider = $1 AND x.registration_id = t.registration_id OFFSET 0) AS o ON true
    WHERE o.registration_id IS NULL
       OR ((o.modified_at IS NULL OR t.modified_at IS NULL OR t.modified_at >= o.modified_at)
           AND (${REG_COLUMNS.map((c) => `o.${c}`).join(", ")}, o.status, o.removed_reason, o.new_registration_id)
               IS DISTINCT FROM (${REG_COLUMNS.map((c) => `t.${c}`).join(", ")}, 'active', NULL::text, NULL::text))
    ON CONFLICT (provider, registration_id) DO UPDATE SET
      ${REG_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", ")},
      problems = ${MERGED_PROBLEMS},
      status = 'active', removed_reason = NULL, new_registration_id = NULL, updated_at = excluded.updated_at, anonymised_at = NULL,
      status_changed_at = CASE WHEN r.status = 'active' THEN r.status_changed_at ELSE excluded.updated_at END
    WHERE (r.modified_at IS NULL OR excluded.modified_at IS NULL OR excluded.modified_at >= r.modified_at)
      AND (${differs}, r.status, r.removed_reason, r.new_registration_id)
          IS DISTINCT FROM (${incoming}, 'active', NULL::text, NULL::text)
    RETURNING (xmax = 0) AS inserted, r.registration_id, r.user_id
  )
  SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated,
    -- Written rows of a person forget erased: the provider still sends them (ids only).
    (SELECT json_agg(json_build_object('registrationId', w.registration_id, 'userId', w.user_id) ORDER BY w.registration_id)
       FROM written w
      WHERE EXISTS (SELECT 1 FROM ${s}.forgotten f WHERE f.provider = $1
              AND ((f.kind = 'registration' AND f.subject_id = w.registration_id) OR (f.kind = 'user' AND f.subject_id = w.user_id)))) AS returned
  FROM written`;
}

/**
 * The written row's problems, each keeping the `firstSeenAt` the stored row had for its field.
 * Problems are not compared for "changed": they follow from `raw`, which is.
 */
const MERGED_PROBLEMS = `(SELECT jsonb_agg(CASE WHEN o.first IS NULL THEN n ELSE jsonb_set(n, '{firstSeenAt}', o.first) END ORDER BY e.i)
    FROM jsonb_array_elements(excluded.problems) WITH ORDINALITY AS e(n, i)
    LEFT JOIN LATERAL (SELECT x->'firstSeenAt' AS first FROM jsonb_array_elements(r.problems) AS x WHERE x->>'field' = n->>'field' LIMIT 1) AS o ON true)`;

/** The normalised columns of each row, named after the registrations columns `json_populate_recordset` fills. */
function registrationRecords(rows: readonly Registration[], now: Date): Record<string, unknown>[] {
  return rows.map((r) => {
    const record: Record<string, unknown> = {};
    for (const c of RECORD_COLUMNS) record[c.column] = r[c.field];
    record.problems = problemsJson(r.problems, now);
    return record;
  });
}

/** Upserts one page of registrations; returns inserted/updated/unchanged counts. */
export async function writeRegistrations(
  q: SqlQueryable,
  s: string,
  provider: string,
  now: Date,
  input: readonly Registration[],
): Promise<{ inserted: number; updated: number; unchanged: number; returned: ForgottenReturn[] }> {
  if (input.length === 0) return { inserted: 0, updated: 0, unchanged: 0, returned: [] };
  const { rows, raws } = prepare(input);
  const records = JSON.stringify(registrationRecords(rows, now));
  const result = await q.query<{ inserted: number; updated: number; returned: ForgottenReturn[] | null }>(upsertSql(s), [
    provider,
    now,
    records,
    rawLines(raws),
  ]);
  const inserted = result.rows[0]?.inserted ?? 0;
  const updated = result.rows[0]?.updated ?? 0;
  return { inserted, updated, unchanged: input.length - inserted - updated, returned: result.rows[0]?.returned ?? [] };
}

/**
 * Marks removals: status and reason change, the row stays. A removal older than the stored row
 * (a re-registration came after it) is skipped; an unknown registration is inserted with the
 * removal's raw row so nothing the provider sent is lost.
 */
async function writeRemovals(
  q: SqlQueryable,
  s: string,
  provider: string,
  now: Date,
  input: readonly Removal[],
): Promise<{ removed: number; returned: ForgottenReturn[] }> {
  if (input.length === 0) return { removed: 0, returned: [] };
  const { rows, raws } = prepare(input);
  const records = rows.map((r) => ({
    registration_id: r.registrationId,
    race_id: r.raceId,
    event_id: r.eventId,
    removed_reason: r.reason,
    new_registration_id: r.newRegistrationId,
    modified_at: r.modifiedAt,
    problems: problemsJson(r.problems, now),
  }));
  const result = await q.query<{ removed: number; returned: ForgottenReturn[] | null }>(
    `WITH written AS (
       INSERT INTO ${s}.registrations AS r (provider, registration_id, race_id, event_id, modified_at, status, removed_reason,
         new_registration_id, raw, problems, first_seen_at, updated_at, status_changed_at)
       SELECT $1, t.registration_id, t.race_id, t.event_id, t.modified_at, t.removed_reason, t.removed_reason, t.new_registration_id, t.raw, t.problems, $2, $2, $2
       FROM ${pageRelation(s, ["registration_id", "race_id", "event_id", "removed_reason", "new_registration_id", "modified_at", "problems"], "$3", "$4")}
       ON CONFLICT (provider, registration_id) DO UPDATE SET status = excluded.status,
         removed_reason = excluded.removed_reason, new_registration_id = excluded.new_registration_id,
         modified_at = GREATEST(r.modified_at, excluded.modified_at), updated_at = excluded.updated_at,
         status_changed_at = CASE WHEN r.status = excluded.status THEN r.status_changed_at ELSE excluded.updated_at END
       WHERE (r.modified_at IS NULL OR excluded.modified_at IS NULL OR excluded.modified_at >= r.modified_at)
         AND (r.status, r.removed_reason, r.new_registration_id)
             IS DISTINCT FROM (excluded.status, excluded.removed_reason, excluded.new_registration_id)
       RETURNING (xmax = 0) AS inserted, r.registration_id)
     SELECT count(*)::int AS removed,
       -- A forgotten registration first seen through the removal feed: its raw row was stored.
       (SELECT json_agg(json_build_object('registrationId', w.registration_id, 'userId', NULL) ORDER BY w.registration_id)
          FROM written w
         WHERE w.inserted AND EXISTS (SELECT 1 FROM ${s}.forgotten f WHERE f.provider = $1 AND f.kind = 'registration' AND f.subject_id = w.registration_id)) AS returned
     FROM written`,
    [provider, now, JSON.stringify(records), rawLines(raws)],
  );
  return { removed: result.rows[0]?.removed ?? 0, returned: result.rows[0]?.returned ?? [] };
}

/** Locks the pass's events and throws `LeaseLostError` unless `owner` holds every lease. */
async function assertLeases(q: SqlQueryable, s: string, args: CommitPageArgs, operation: string): Promise<void> {
  const held = await q.query<{ event_id: string }>(
    `SELECT s.event_id FROM ${s}.sync_state s
     WHERE s.provider = $3 AND s.event_id = ANY($4::text[]) AND ${HELD} FOR UPDATE`,
    [args.owner, args.now, args.provider, [...args.eventIds]],
  );
  const mine = new Set(held.rows.map((r) => r.event_id));
  const lost = args.eventIds.filter((id) => !mine.has(id)).map((eventId) => ({ provider: args.provider, eventId }));
  if (lost.length > 0) {
    throw new LeaseLostError(
      `[postgres-store] ${operation}: ${args.owner} no longer holds the lease on ${lost.map((e) => `${e.provider}:${e.eventId}`).join(", ")}; nothing was written`,
      lost,
    );
  }
}

/**
 * Refuses a page whose run is unknown or finished, or whose patches name events outside the
 * pass. Rows of events the store does not know are not refused: they are skipped and reported.
 */
async function assertPage(q: SqlQueryable, s: string, args: CommitPageArgs, checked: CheckedPage): Promise<CheckedPage> {
  // Run ids are bigint identities; anything else cannot name a run (and must not fail the cast).
  const run = RUN_ID.test(args.runId)
    ? await q.query<{ status: string }>(`SELECT status FROM ${s}.sync_runs WHERE id = $1::bigint FOR UPDATE`, [args.runId])
    : { rows: [] as { status: string }[] };
  const status = run.rows[0]?.status;
  if (status !== "running") {
    throw new StoreError(`[postgres-store] commitPage: run ${args.runId} is ${status ?? "unknown"}; it takes no more pages`, {
      retryable: false,
    });
  }
  for (const patch of args.finish?.states ?? []) {
    if (!args.eventIds.includes(patch.eventId)) {
      throw new StoreError(`[postgres-store] commitPage: state patch for event ${patch.eventId} is not part of run ${args.runId}`, {
        retryable: false,
      });
    }
  }
  const share = args.finish?.vanish?.maxShare;
  if (share !== undefined && !(share >= 0 && share <= 1)) {
    throw new StoreError(`[postgres-store] commitPage: vanish.maxShare ${share} is not within 0..1`, { retryable: false });
  }
  const rows = [...checked.registrations, ...checked.removals];
  if (rows.length === 0) return checked;
  const eventIds = [...new Set(rows.map((r) => r.eventId))];
  const known = await q.query<{ event_id: string }>(`SELECT event_id FROM ${s}.events WHERE provider = $1 AND event_id = ANY($2::text[])`, [
    args.provider,
    eventIds,
  ]);
  const found = new Set(known.rows.map((r) => r.event_id));
  return withoutUnknownEvents(checked, (eventId) => found.has(eventId));
}

/**
 * `SyncStore.commitPage`: lease check, registrations, removals, backfill position, run counters
 * and (on the last page) the pass's completion, all in one transaction. Not retried after a lost
 * connection: the caller gets a retryable `StoreError` and the page is redone from its position.
 */
export async function commitPage(ctx: StoreContext, args: CommitPageArgs): Promise<PageWriteResult> {
  const { s } = ctx;
  // Bad provider data never fails the page: fields go null with a problem, unstorable rows are skipped.
  const checked = checkPage(args);
  return ctx.db.transaction(
    async (tx) => {
      await assertLeases(tx, s, args, "commitPage");
      const page = await assertPage(tx, s, args, checked);
      if (page.registrations.length + page.removals.length > 0) await preferLz4Compression(tx);
      const regs = await writeRegistrations(tx, s, args.provider, args.now, page.registrations);
      const { removed, returned: returnedByRemovals } = await writeRemovals(tx, s, args.provider, args.now, page.removals);
      if (args.backfillAfter !== undefined) {
        await tx.query(
          `UPDATE ${s}.sync_state SET backfill_after = $3, updated_at = $4 WHERE provider = $1 AND event_id = ANY($2::text[])`,
          [args.provider, [...args.eventIds], args.backfillAfter, args.now],
        );
      }
      const { returned: returnedByRows, ...written } = regs;
      const returned = [...returnedByRows, ...returnedByRemovals];
      const counts = { ...written, removed };
      const vanish = await finishPass(tx, s, args, { ...counts, problems: page.problems });
      const result = { ...counts, problems: page.problems, ...(returned.length > 0 ? { returned } : {}) };
      return vanish ? { ...result, vanish } : result;
    },
    { operation: "commitPage" },
  );
}

/**
 * The stored columns `listRegistrations` reads beyond core's `REGISTRATION_COLUMNS` (which come
 * back under their column names, a date as `YYYY-MM-DD` text).
 */
interface RegistrationRow extends Record<string, unknown> {
  problems: { field: string; reason: string; firstSeenAt: string }[] | null;
  status: StoredRegistration["status"];
  removed_reason: StoredRegistration["removedReason"];
  new_registration_id: string | null;
  first_seen_at: Date;
  updated_at: Date;
}

/** The registration columns as `listRegistrations` selects them. */
const SELECTED_COLUMNS = REGISTRATION_COLUMNS.map((c) =>
  c.kind === "date" ? `to_char(${c.column}, 'YYYY-MM-DD') AS ${c.column}` : c.column,
).join(", ");

/** `SyncStore.listRegistrations`, ordered by registration id. */
export async function listRegistrations(
  ctx: StoreContext,
  args: { readonly provider: string; readonly eventIds?: readonly string[]; readonly raceId?: string },
): Promise<StoredRegistration[]> {
  const result = await ctx.db.query<RegistrationRow>(
    `SELECT ${SELECTED_COLUMNS}, problems, status, removed_reason, new_registration_id, first_seen_at, updated_at
     FROM ${ctx.s}.registrations
     WHERE provider = $1 AND ($2::text[] IS NULL OR event_id = ANY($2::text[])) AND ($3::text IS NULL OR race_id = $3)
     ORDER BY registration_id`,
    [args.provider, args.eventIds ? [...args.eventIds] : null, args.raceId ?? null],
    { operation: "listRegistrations", retry: true },
  );
  return result.rows.map((r) => ({
    ...(Object.fromEntries(REGISTRATION_COLUMNS.map((c) => [c.field, r[c.column]])) as Pick<StoredRegistration, RegistrationField>),
    problems: (r.problems ?? []).map(
      (p): StoredFieldProblem => ({ field: p.field, reason: p.reason, firstSeenAt: new Date(p.firstSeenAt) }),
    ),
    status: r.status,
    removedReason: r.removed_reason,
    newRegistrationId: r.new_registration_id,
    firstSeenAt: r.first_seen_at,
    updatedAt: r.updated_at,
  }));
}
