import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "@project88/core";
import { TEST_DATABASE_URL } from "@project88/postgres-store/testing";
import pg from "pg";
import { createPgClient } from "../src/pg-client.js";
import type { SqlClient } from "../src/sql-client.js";

const app = `seam_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
let admin: pg.Client;
let client: SqlClient;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, application_name: app, max: 2 });
  client = createPgClient({ pool });
  // The pool is the test's; wrap its end into the client's close for afterAll.
  const close = client.close.bind(client);
  client = {
    ...client,
    close: async () => {
      await close();
      await pool.end();
    },
  };
});
afterAll(async () => {
  await client?.close();
  await admin?.end();
});

/** Terminates the first backend of this test's pool that is running `marker`, once it shows up. */
async function killWhenRunning(marker: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE $2 AND state = 'active'`,
      [app, `%${marker}%`],
    );
    if (killed.rowCount) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no backend ran ${marker}`);
}

describe("connection loss (pg)", () => {
  it("a read marked safe to retry is retried on a new connection when the server drops it", async () => {
    const read = client.query<{ one: number }>("SELECT 1 AS one, pg_sleep(0.3) /* retry-read */", [], { retry: true, operation: "read" });
    await killWhenRunning("retry-read");
    expect((await read).rows).toEqual([{ one: 1, pg_sleep: "" }]);
  });

  it("a write is not retried: it fails with a retryable StoreError", async () => {
    // Caught at once: the rejection may come while the killer is still polling.
    const write = client.query("SELECT pg_sleep(0.3) /* no-retry-write */", [], { operation: "commitPage" }).catch((e: unknown) => e);
    await killWhenRunning("no-retry-write");
    const error = await write;
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringMatching(/commitPage: database connection lost/) });
  });

  it("a transaction whose connection dies is not left open, and the client keeps working", async () => {
    const tx = client
      .transaction(
        async (q) => {
          await q.query("CREATE TEMP TABLE IF NOT EXISTS seam_t (x int)");
          await q.query("INSERT INTO seam_t VALUES (1)");
          await q.query("SELECT pg_sleep(0.3) /* tx-dies */");
        },
        { operation: "commitPage" },
      )
      .catch((e: unknown) => e);
    await killWhenRunning("tx-dies");
    expect(await tx).toMatchObject({ code: "STORE", retryable: true });
    const open = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'`,
      [app],
    );
    expect(open.rows[0].n).toBe(0);
    expect((await client.query<{ n: number }>("SELECT 2 AS n")).rows).toEqual([{ n: 2 }]);
  });

  it("a statement error rolls the transaction back and is a non-retryable StoreError with its SQLSTATE", async () => {
    const error = await client
      .transaction(
        async (q) => {
          await q.query("SELECT 'not a date'::date");
        },
        { operation: "commitPage" },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/commitPage: .*22007/) });
  });
});
