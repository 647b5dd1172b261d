import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { useTestSchema } from "./db.js";

const db = useTestSchema("store_user_idx");
let pool: pg.Pool;
let store: PostgresStore;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.get().connectionString, max: 2 });
  store = await createPostgresStore({ pool, schema: db.get().schema });
});
afterAll(async () => {
  await store?.close();
  await pool?.end();
});

/** The plan of forget's update by user id, with sequential scans priced out so a usable index shows. */
async function forgetByUserPlan(s: string): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL enable_seqscan = off");
    const plan = await client.query<{ "QUERY PLAN": string }>(
      `EXPLAIN UPDATE "${s}".registrations SET first_name = NULL WHERE provider = $1 AND user_id = $2 RETURNING registration_id`,
      ["runsignup", "u7"],
    );
    await client.query("ROLLBACK");
    return plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
  } finally {
    client.release();
  }
}

it("migration 8 applies to a schema with registrations, and forget by user id reads through its index", async () => {
  const s = db.get().schema;
  // A schema as the previous release left it: everything but migration 8, with rows.
  await db.query(`DROP INDEX "${s}".registrations_user_idx`);
  await db.query(`DELETE FROM "${s}".schema_migrations WHERE version = 8`);
  await db.query(
    `INSERT INTO "${s}".registrations (provider, registration_id, race_id, event_id, user_id, first_name, raw, first_seen_at, updated_at, status_changed_at)
     SELECT 'runsignup', g::text, '100', '200', CASE WHEN g % 3 = 0 THEN NULL ELSE 'u' || g END, 'Ada', '{}', now(), now(), now()
     FROM generate_series(1, 50) g`,
  );
  expect(await forgetByUserPlan(s)).not.toMatch(/registrations_user_idx/);

  const result = await store.migrate();
  expect(result.applied).toContain(8);
  expect(await forgetByUserPlan(s)).toMatch(/Index Scan using registrations_user_idx/);
  expect(await store.forget({ now: new Date("2026-07-01T00:00:00Z"), provider: "runsignup", userId: "u7" })).toEqual({ registrations: 1 });
  // Migrating again finds nothing to do.
  expect((await store.migrate()).applied).toEqual([]);
});
