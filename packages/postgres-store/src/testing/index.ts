import { randomBytes } from "node:crypto";
import pg from "pg";
import { quoteIdent } from "../sql.js";

/** The database tests use: `TEST_DATABASE_URL`, or the local cluster CI also provides. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** An isolated schema on the test database. */
export interface TestSchema {
  readonly connectionString: string;
  /** A fresh, unique schema name (already created, empty). */
  readonly schema: string;
  /** Drops the schema and everything in it. Idempotent. */
  drop(): Promise<void>;
}

async function run(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates a uniquely named schema on `TEST_DATABASE_URL` for one test file. It connects at once,
 * so an unreachable server fails the test file instead of skipping it. Drop the schema after a
 * passing file and keep it after a failing one, to inspect what was left.
 */
export async function createTestSchema(
  options: { readonly prefix?: string; readonly connectionString?: string } = {},
): Promise<TestSchema> {
  const connectionString = options.connectionString ?? TEST_DATABASE_URL;
  // PostgreSQL reserves names starting with pg_ for itself.
  const prefix = (options.prefix ?? "test").replace(/^pg_/i, "t_pg_");
  const schema = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await run(connectionString, `CREATE SCHEMA ${quoteIdent(schema)}`);
  let dropped = false;
  return {
    connectionString,
    schema,
    async drop() {
      if (dropped) return;
      dropped = true;
      await run(connectionString, `DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    },
  };
}

/** One plain connection to a test database, for tests that read tables or hold locks directly. */
export interface TestSqlClient {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Closes the connection. Idempotent. */
  end(): Promise<void>;
}

/**
 * Opens one connection (not a pool: a lock or transaction a test takes stays on it until `end`).
 * A connection the server drops (a restart) is reported by the next `query`, never as an
 * unhandled error event.
 */
export async function connectTestDatabase(connectionString = TEST_DATABASE_URL): Promise<TestSqlClient> {
  const client = new pg.Client({ connectionString });
  client.on("error", () => undefined);
  await client.connect();
  let ended = false;
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return (await client.query(sql, [...params])).rows as Row[];
    },
    async end() {
      if (ended) return;
      ended = true;
      await client.end().catch(() => undefined);
    },
  };
}
