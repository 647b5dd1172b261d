import pg from "pg";
import type { SqlClient, SqlQueryable, SqlResult, SqlRunOptions } from "./sql-client.js";
import { toStoreError, withRetry } from "./sql-client.js";

/** How a `pg` client is obtained: a pool the caller owns, or one made from a connection string. */
export type PgSource = { readonly pool: pg.Pool } | { readonly connectionString: string; readonly max?: number | undefined };

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
export function createPgClient(source: PgSource): SqlClient {
  const owned = !("pool" in source);
  const pool =
    "pool" in source
      ? source.pool
      : new pg.Pool({ connectionString: source.connectionString, max: source.max ?? 10, idleTimeoutMillis: 10_000 });
  // An idle connection that dies (server restart) emits 'error' on the pool; without a listener
  // Node would crash the process. The next query gets a fresh connection.
  const onIdleError = () => undefined;
  pool.on("error", onIdleError);
  let closed = false;
  const plain = wrap(pool);

  return {
    kind: "pg",
    query(text, params, options: SqlRunOptions = {}) {
      return withRetry(options.operation ?? "query", options.retry ?? false, () => plain.query(text, params));
    },
    transaction(fn, options = {}) {
      const operation = options.operation ?? "transaction";
      return withRetry(operation, options.retry ?? false, async () => {
        const conn = await pool.connect();
        let broken: Error | undefined;
        try {
          await conn.query("BEGIN");
          const result = await fn(wrap(conn));
          await conn.query("COMMIT");
          return result;
        } catch (error) {
          try {
            await conn.query("ROLLBACK");
          } catch (rollbackError) {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          }
          throw error;
        } finally {
          conn.release(broken);
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
