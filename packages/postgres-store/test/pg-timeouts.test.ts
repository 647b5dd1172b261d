import { StoreError } from "@project88/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, plaintextWarning, type PostgresStore } from "../src/index.js";
import { createPgClient } from "../src/pg-client.js";
import { pgPoolConfig } from "../src/pg-options.js";
import { quoteIdent } from "../src/sql.js";
import { useTestSchema } from "./db.js";

const db = useTestSchema("store_timeouts");

describe("PostgreSQL client timeouts", () => {
  let store: PostgresStore;
  let admin: pg.Client;
  beforeAll(async () => {
    store = await createPostgresStore({ connectionString: db.get().connectionString, schema: db.get().schema, statementTimeoutMs: 400 });
    admin = new pg.Client({ connectionString: db.get().connectionString });
    await admin.connect();
  });
  afterAll(async () => {
    await store?.close();
    await admin?.end();
  });

  it("a statement blocked by a lock fails after statement_timeout with a StoreError, and the store keeps working", async () => {
    await admin.query("BEGIN");
    await admin.query(`LOCK TABLE ${quoteIdent(db.get().schema)}.events IN ACCESS EXCLUSIVE MODE`);
    try {
      const error = await store.listEvents().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toMatch(/statement timeout \(57014\)/);
    } finally {
      await admin.query("ROLLBACK");
    }
    expect(await store.listEvents()).toEqual([]);
  });

  it("sets the defaults on every connection, and each is configurable", async () => {
    const show = async (client: ReturnType<typeof createPgClient>) => {
      const row = (
        await client.query<Record<string, string>>(
          "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle",
        )
      ).rows[0];
      await client.close();
      return row;
    };
    expect(await show(createPgClient({ connectionString: db.get().connectionString }))).toEqual({ statement: "1min", idle: "1min" });
    const custom = createPgClient({
      connectionString: db.get().connectionString,
      connection: { statementTimeoutMs: 2_500, idleInTransactionTimeoutMs: 0 },
    });
    expect(await show(custom)).toEqual({ statement: "2500ms", idle: "0" });
  });

  it("a session idle inside a transaction is ended by the server and its locks freed", async () => {
    const client = createPgClient({ connectionString: db.get().connectionString, connection: { idleInTransactionTimeoutMs: 300 } });
    const s = quoteIdent(db.get().schema);
    let release: () => void = () => undefined;
    const silent = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    try {
      // The transaction takes a lock, then its client goes silent (a partition, a stuck callback).
      const tx = client
        .transaction(async (q) => {
          await q.query(`LOCK TABLE ${s}.races IN ACCESS EXCLUSIVE MODE`);
          locked();
          await silent;
          await q.query("SELECT 1");
        })
        .catch((e: unknown) => e);
      // The lock is free once the server ends the idle session: this waits for that, not for a clock.
      await holding;
      await admin.query("BEGIN");
      await admin.query(`SET LOCAL lock_timeout = '20s'`);
      await admin.query(`LOCK TABLE ${s}.races IN ACCESS SHARE MODE`);
      await admin.query("ROLLBACK");
      release();
      expect(await tx).toBeInstanceOf(StoreError);
    } finally {
      release();
      await client.close();
    }
  });
});

describe("pool settings", () => {
  it("fills the defaults and hands TLS options to pg as they are", () => {
    const ssl = { rejectUnauthorized: true, ca: "-----BEGIN CERTIFICATE-----", servername: "db.example.net" };
    expect(pgPoolConfig("postgres://db.example.net/sync", 4, { ssl })).toMatchObject({
      max: 4,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      statement_timeout: 60_000,
      idle_in_transaction_session_timeout: 60_000,
      ssl,
    });
    expect(pgPoolConfig("postgres://h/db", 1, { keepAlive: false, connectionTimeoutMs: 0 })).toMatchObject({
      keepAlive: false,
      connectionTimeoutMillis: 0,
    });
    expect(pgPoolConfig("postgres://h/db", 1)).not.toHaveProperty("ssl");
  });
});

describe("plaintext connections", () => {
  it("warns, naming sslmode, for a remote host without TLS, and not otherwise", () => {
    expect(plaintextWarning("postgres://sync@db.example.net/sync", undefined)).toMatch(/db\.example\.net.*sslmode/);
    expect(plaintextWarning("postgres://sync@10.1.2.3:5432/sync?sslmode=disable", undefined)).toMatch(/sslmode/);
    expect(plaintextWarning("postgres://sync@db.example.net/sync?sslmode=verify-full", undefined)).toBeNull();
    expect(plaintextWarning("postgres://sync@db.example.net/sync", { rejectUnauthorized: true })).toBeNull();
    expect(plaintextWarning("postgres://postgres@127.0.0.1:5432/test", undefined)).toBeNull();
    expect(plaintextWarning("postgres://postgres@localhost/test", undefined)).toBeNull();
    expect(plaintextWarning("postgres://postgres@[::1]/test", undefined)).toBeNull();
    expect(plaintextWarning("postgres:///test?host=/var/run/postgresql", undefined)).toBeNull();
  });

  it("the store reports it through onWarning and still connects", async () => {
    const warnings: string[] = [];
    // A remote-looking name that resolves to this machine: the warning is about the URL, not the route.
    const url = new URL(db.get().connectionString);
    const remote = `postgres://${url.username}@127.0.0.1.nip.invalid:${url.port}${url.pathname}`;
    await createPostgresStore({
      connectionString: remote,
      schema: db.get().schema,
      migrate: false,
      connectionTimeoutMs: 1_000,
      onWarning: (m) => warnings.push(m),
    }).then((s) => s.close());
    expect(warnings).toEqual([expect.stringMatching(/127\.0\.0\.1\.nip\.invalid is not encrypted.*sslmode=/)]);
  });
});
