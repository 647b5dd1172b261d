import pg from "pg";
import { pgPoolConfig, type PgConnectionOptions } from "./pg-options.js";
import type { SqlClient, SqlQueryable, SqlResult, SqlRunOptions } from "./sql-client.js";
import { isConnectionError, toStoreError, withRetry } from "./sql-client.js";

/** How a `pg` client is obtained: a pool the caller owns, or one made from a connection string. */
export type PgSource =
  | { readonly pool: pg.Pool }
  | { readonly connectionString: string; readonly max?: number | undefined; readonly connection?: PgConnectionOptions | undefined };

function wrap(client: pg.PoolClient | pg.Pool): SqlQueryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
      const result = await client.query(text, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(text: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(text);
    },
  };
}

/**
 * A `SqlClient` over a `pg.Pool`. A transaction holds one pooled connection from BEGIN to
 * COMMIT/ROLLBACK; a connection whose ROLLBACK failed is destroyed instead of returned, so the
 * pool never hands out a connection stuck inside a transaction.
 */
/** Connections that already carry the lasting 'error' listener, across every store sharing a pool. */
const guarded = new WeakSet<pg.PoolClient>();

export function createPgClient(source: PgSource): SqlClient {
  const owned = !("pool" in source);
  const pool = "pool" in source ? source.pool : new pg.Pool(pgPoolConfig(source.connectionString, source.max ?? 10, source.connection));
  // An idle connection that dies (server restart) emits 'error' on the pool; without a listener
  // Node would crash the process. The next query gets a fresh connection.
  const onIdleError = () => undefined;
  pool.on("error", onIdleError);
  let closed = false;
  // A connection that dies (server restart, pg_terminate_backend) can emit 'error' while checked
  // out or even after release; pg-pool listens only while it is idle, and an unhandled 'error'
  // crashes the process. Every connection the store touches gets one lasting listener: the
  // failing query rejects on its own, so the event needs no handling beyond being heard.
  const checkout = async (): Promise<pg.PoolClient> => {
    const conn = await pool.connect();
    if (!guarded.has(conn)) {
      guarded.add(conn);
      conn.on("error", () => undefined);
    }
    return conn;
  };
  /** Returns a connection to the pool, or destroys it after a connection-level failure. */
  const release = (conn: pg.PoolClient, error: unknown) => {
    conn.release(error !== undefined && isConnectionError(error) ? (error as Error) : undefined);
  };

  return {
    kind: "pg",
    query(text, params, options: SqlRunOptions = {}) {
      return withRetry(options.operation ?? "query", options.retry ?? false, async () => {
        const conn = await checkout();
        let failure: unknown;
        try {
          return await wrap(conn).query(text, params);
        } catch (error) {
          failure = error;
          throw error;
        } finally {
          release(conn, failure);
        }
      });
    },
    transaction(fn, options = {}) {
      const operation = options.operation ?? "transaction";
      return withRetry(operation, options.retry ?? false, async () => {
        const conn = await checkout();
        let broken: unknown;
        try {
          await conn.query("BEGIN");
          const result = await fn(wrap(conn));
          await conn.query("COMMIT");
          return result;
        } catch (error) {
          if (isConnectionError(error)) broken = error;
          try {
            await conn.query("ROLLBACK");
          } catch (rollbackError) {
            // A connection that cannot roll back must never go back to the pool mid-transaction.
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          }
          throw error;
        } finally {
          conn.release(broken === undefined ? undefined : (broken as Error));
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) {
        await pool.end().catch((error: unknown) => {
          throw toStoreError(error, "close");
        });
      } else {
        pool.off("error", onIdleError);
      }
    },
  };
}
