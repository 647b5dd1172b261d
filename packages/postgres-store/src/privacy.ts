import { REGISTRATION_COLUMNS, StoreError } from "@project88/core";
import type { AnonymiseArgs, ForgetArgs } from "@project88/core";
import type { StoreContext } from "./rows.js";

/**
 * Columns that hold personal data (core's `PERSONAL_FIELDS`, plus `raw`): retention and forget
 * set them to null. Ids, event, status and instants stay, so counts and ordering keep working.
 */
export const PERSONAL_COLUMNS: readonly string[] = [...REGISTRATION_COLUMNS.filter((c) => c.personal).map((c) => c.column), "raw"];

// `problems` too: a problem's reason quotes the bad value (a malformed date of birth, an email).
const CLEAR = [...PERSONAL_COLUMNS, "problems"].map((c) => `${c} = NULL`).join(", ");

/**
 * `SyncStore.anonymiseEnded`: one short transaction over at most `limit` rows. Rows another
 * transaction holds (a page being written) are skipped, not waited for: the next batch or the
 * next day's purge takes them.
 */
export async function anonymiseEnded(ctx: StoreContext, args: AnonymiseArgs): Promise<{ anonymised: number }> {
  if (!Number.isInteger(args.limit) || args.limit <= 0) {
    throw new StoreError(`[postgres-store] anonymiseEnded: limit must be a positive integer, got ${args.limit}`, { retryable: false });
  }
  const { s } = ctx;
  const result = await ctx.db.query<{ anonymised: number }>(
    `WITH batch AS (
       SELECT r.provider, r.registration_id
       FROM ${s}.events e
       JOIN ${s}.registrations r ON r.provider = e.provider AND r.event_id = e.event_id AND r.anonymised_at IS NULL
       WHERE COALESCE(e.ends_at, e.starts_at) < $1
       LIMIT $2
       FOR UPDATE OF r SKIP LOCKED
     ), done AS (
       UPDATE ${s}.registrations r SET ${CLEAR}, anonymised_at = $3, updated_at = $3
       FROM batch b WHERE r.provider = b.provider AND r.registration_id = b.registration_id
       RETURNING 1
     )
     SELECT count(*)::int AS anonymised FROM done`,
    [args.endedBefore, args.limit, args.now],
    { operation: "anonymiseEnded" },
  );
  return { anonymised: result.rows[0]?.anonymised ?? 0 };
}

/**
 * `SyncStore.forget`: clears the person's rows, deletes their status history and their entries in
 * the runs' problem samples, and records the tombstones, in one transaction. The status trigger does not fire: `status` is not touched.
 */
export async function forget(ctx: StoreContext, args: ForgetArgs): Promise<{ registrations: number }> {
  if ((args.registrationId === undefined) === (args.userId === undefined)) {
    throw new StoreError("[postgres-store] forget: give exactly one of registrationId and userId", { retryable: false });
  }
  const { s } = ctx;
  return ctx.db.transaction(
    async (tx) => {
      // Two shapes, not an OR: by registration it is a primary-key lookup.
      const match = args.registrationId !== undefined ? "registration_id = $2" : "user_id = $2";
      const cleared = await tx.query<{ registration_id: string }>(
        `UPDATE ${s}.registrations SET ${CLEAR}, anonymised_at = $3, updated_at = $3
         WHERE provider = $1 AND ${match}
         RETURNING registration_id`,
        [args.provider, args.registrationId ?? args.userId, args.now],
      );
      const ids = cleared.rows.map((r) => r.registration_id);
      if (args.registrationId !== undefined && !ids.includes(args.registrationId)) ids.push(args.registrationId);
      await tx.query(`DELETE FROM ${s}.registration_status_changes WHERE provider = $1 AND registration_id = ANY($2::text[])`, [
        args.provider,
        ids,
      ]);
      // The runs' problem samples name the registration and may quote its bad values.
      await tx.query(
        `UPDATE ${s}.sync_runs SET problem_sample = (
           SELECT coalesce(jsonb_agg(x.e ORDER BY x.n), '[]'::jsonb)
           FROM jsonb_array_elements(problem_sample) WITH ORDINALITY AS x(e, n)
           WHERE (x.e->>'registrationId') IS NULL OR NOT (x.e->>'registrationId' = ANY($2::text[])))
         WHERE provider = $1 AND problems > 0
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(problem_sample) AS e WHERE e->>'registrationId' = ANY($2::text[]))`,
        [args.provider, ids],
      );
      await tx.query(
        `INSERT INTO ${s}.forgotten (provider, kind, subject_id, forgotten_at)
         SELECT $1, 'registration', id, $3::timestamptz FROM unnest($2::text[]) AS id
         UNION ALL SELECT $1, 'user', $4, $3::timestamptz WHERE $4::text IS NOT NULL
         ON CONFLICT (provider, kind, subject_id) DO UPDATE SET forgotten_at = excluded.forgotten_at`,
        [args.provider, ids, args.now, args.userId ?? null],
      );
      return { registrations: cleared.rows.length };
    },
    { operation: "forget" },
  );
}
