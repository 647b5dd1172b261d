import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERSONAL_FIELDS, REGISTRATION_COLUMNS, StoreError } from "@project88/core";
import { runStoreConformance } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { useTestSchema } from "./db.js";
import { PERSONAL_COLUMNS } from "../src/privacy.js";
import { storeCases } from "./store-cases.js";

const db = useTestSchema("store_pg");
let pool: pg.Pool;
let store: PostgresStore;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.get().connectionString, max: 6 });
  store = await createPostgresStore({ pool, schema: db.get().schema });
});
afterAll(async () => {
  await store?.close();
  await pool?.end();
});

// One pool and schema for the whole file, a store handle per test (closing it leaves the pool
// open): every conformance test uses its own provider name and ids, so they share the schema.
runStoreConformance(
  { describe, it, expect },
  { createStore: () => createPostgresStore({ pool, schema: db.get().schema, migrate: false }), name: "PostgreSQL store conformance" },
);

describe("postgres store on PostgreSQL", () => {
  storeCases(() => store);

  it("records every status change of a registration in registration_status_changes", async () => {
    const s = db.get().schema;
    const rows = await db.query<{ registration_id: string; old_status: string | null; status: string }>(
      `SELECT registration_id, old_status, status FROM "${s}".registration_status_changes WHERE registration_id = '40' ORDER BY id`,
    );
    // From the removal case: transferred, then active again.
    expect(rows.map((r) => [r.old_status, r.status])).toEqual([
      ["active", "transferred"],
      ["transferred", "active"],
    ]);
  });

  it("core's registration columns are the registrations table's, in order, with their kinds' types", async () => {
    const columns = await db.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'registrations' ORDER BY ordinal_position`,
      [db.get().schema],
    );
    const types = {
      id: "text",
      key: "text",
      text: "text",
      date: "date",
      integer: "integer",
      instant: "timestamp with time zone",
      json: "jsonb",
    };
    const listed = new Set<string>(REGISTRATION_COLUMNS.map((c) => c.column));
    expect(columns.filter((c) => listed.has(c.column_name)).map((c) => [c.column_name, c.data_type])).toEqual(
      REGISTRATION_COLUMNS.map((c) => [c.column, types[c.kind]]),
    );
    // Every other column is the store's own bookkeeping, written by name in its SQL.
    expect(
      columns
        .filter((c) => !listed.has(c.column_name))
        .map((c) => c.column_name)
        .sort(),
    ).toEqual([
      "anonymised_at",
      "first_seen_at",
      "new_registration_id",
      "problems",
      "removed_reason",
      "status",
      "status_changed_at",
      "updated_at",
    ]);
  });

  it("clears exactly core's personal fields (as columns) and raw", () => {
    const columnOf = new Map<string, string>(REGISTRATION_COLUMNS.map((c) => [c.field, c.column]));
    expect([...PERSONAL_COLUMNS]).toEqual([...PERSONAL_FIELDS.map((f) => columnOf.get(f)), "raw"]);
  });

  it("forget deletes the person's status history and leaves a tombstone naming only ids", async () => {
    const s = db.get().schema;
    const count = async () =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${s}".registration_status_changes WHERE registration_id = '40'`))[0]
        ?.n;
    expect(await count()).toBe(2);
    // The removal case's provider name is random; its history rows name it.
    const [{ provider } = { provider: "" }] = await db.query<{ provider: string }>(
      `SELECT provider FROM "${s}".registration_status_changes WHERE registration_id = '40' LIMIT 1`,
    );
    const now = new Date("2026-07-01T00:00:00Z");
    expect(await store.forget({ now, provider, registrationId: "40" })).toEqual({ registrations: 1 });
    expect(await count()).toBe(0);
    const tombstones = await db.query<{ kind: string; subject_id: string; forgotten_at: Date }>(
      `SELECT kind, subject_id, forgotten_at FROM "${s}".forgotten WHERE provider = $1`,
      [provider],
    );
    expect(tombstones).toEqual([{ kind: "registration", subject_id: "40", forgotten_at: now }]);
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT * FROM "${s}".registrations WHERE provider = $1 AND registration_id = '40'`,
      [provider],
    );
    for (const column of PERSONAL_COLUMNS) {
      expect({ column, value: row?.[column] }).toEqual({ column, value: null });
    }
    expect(row).toMatchObject({ registration_id: "40", anonymised_at: now, updated_at: now });
  });

  it("a discovery whose process died is closed as abandoned at its lease's expiry when the slot is taken over", async () => {
    const s = db.get().schema;
    const now = new Date("2026-05-02T06:00:00Z");
    const conn = `conn-dead-${Math.random().toString(36).slice(2, 8)}`;
    const dead = await store.beginDiscovery({ connectionId: conn, slot: now, owner: "dead", now, leaseMs: 60_000 });
    const taken = await store.beginDiscovery({
      connectionId: conn,
      slot: now,
      owner: "alive",
      now: new Date(now.getTime() + 90_000),
      leaseMs: 60_000,
    });
    expect(taken).not.toBeNull();
    const rows = await db.query<{ status: string; finished_at: Date; error: { code: string } }>(
      `SELECT status, finished_at, error FROM "${s}".discovery_runs WHERE id = $1::bigint`,
      [dead],
    );
    expect(rows).toEqual([
      { status: "abandoned", finished_at: new Date(now.getTime() + 60_000), error: expect.objectContaining({ code: "LEASE_LOST" }) },
    ]);
  });

  it("refuses to run against a schema migrated by a newer version", async () => {
    const s = db.get().schema;
    await db.query(`INSERT INTO "${s}".schema_migrations (version, name) VALUES (999, 'future')`);
    try {
      const refused = store.migrate();
      await expect(refused).rejects.toBeInstanceOf(StoreError);
      await expect(refused).rejects.toThrow(/migration 999, newer than this version/);
    } finally {
      await db.query(`DELETE FROM "${s}".schema_migrations WHERE version = 999`);
    }
  });

  it("an unreachable server is a retryable StoreError, not a hang or a crash", async () => {
    const error = await createPostgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/none" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ retryable: true, code: "STORE" });
  });
});
