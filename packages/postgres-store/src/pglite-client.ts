import { PGlite } from "@electric-sql/pglite";
import type { SqlClient, SqlQueryable, SqlResult } from "./sql-client.js";
import { toStoreError, withRetry } from "./sql-client.js";

/** Where the embedded database lives: an instance the caller owns, or a data directory (absent: memory). */
export type PgliteSource = PGlite | { readonly dataDir?: string | undefined };

interface PgliteLike {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[]; affectedRows?: number }>;
  exec(text: string): Promise<unknown>;
}

function wrap(db: PgliteLike): SqlQueryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
      const result = await db.query<Row>(text, params as unknown[]);
      // PGlite reports affectedRows 0 for a SELECT; pg's rowCount counts the rows returned.
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
    async exec(text: string): Promise<void> {
      await db.exec(text);
    },
  };
}

/**
 * A `SqlClient` over embedded PGlite. PGlite is one backend session, so its transactions are
 * serialised by PGlite itself; there is no connection to lose, and `retry` never applies.
 */
export function createPgliteClient(source: PgliteSource): SqlClient {
  const owned = !(source instanceof PGlite);
  const db = source instanceof PGlite ? source : new PGlite(source.dataDir);
  let closed = false;
  const plain = wrap(db);

  return {
    kind: "pglite",
    async query(text, params, options = {}) {
      await db.waitReady;
      return withRetry(options.operation ?? "query", false, () => plain.query(text, params));
    },
    async transaction(fn, options = {}) {
      await db.waitReady;
      return withRetry(options.operation ?? "transaction", false, () => db.transaction((tx) => fn(wrap(tx))));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await db.close().catch((error: unknown) => Promise.reject(toStoreError(error, "close")));
    },
  };
}
