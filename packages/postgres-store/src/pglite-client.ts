import type { PGlite } from "@electric-sql/pglite";
import { ConfigError } from "@project88/core";
import type { SqlClient, SqlQueryable, SqlResult } from "./sql-client.js";
import { toStoreError, withRetry } from "./sql-client.js";

/** Where the embedded database lives: an instance the caller owns, or a data directory (absent: memory). */
export type PgliteSource = PGlite | { readonly dataDir?: string | undefined };

/** The package embedded PostgreSQL comes from: an optional peer, loaded only when asked for. */
export const PGLITE_PACKAGE = "@electric-sql/pglite";

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

/** A `PGlite` instance, told apart from `{ dataDir }` without loading the package. */
function isInstance(source: PgliteSource): source is PGlite {
  return typeof (source as Partial<PGlite>).query === "function" && typeof (source as Partial<PGlite>).transaction === "function";
}

/**
 * Loads PGlite. A service on a real PostgreSQL server never pays for its WASM: the package is an
 * optional peer, imported here only when an embedded database is asked for. The specifier comes
 * through a variable so bundlers leave the import to run time.
 */
async function loadPglite(): Promise<typeof import("@electric-sql/pglite")> {
  const specifier: string = PGLITE_PACKAGE;
  try {
    return (await import(specifier)) as typeof import("@electric-sql/pglite");
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
    const message = `[postgres-store] the embedded database needs the optional package ${PGLITE_PACKAGE}, which is not installed: install it (npm install ${PGLITE_PACKAGE}) or give a PostgreSQL connectionString or pool`;
    throw new ConfigError(message, [{ path: "pglite", message: `${PGLITE_PACKAGE} is not installed` }], { cause: error });
  }
}

/**
 * A `SqlClient` over embedded PGlite. PGlite is one backend session, so its transactions are
 * serialised by PGlite itself; there is no connection to lose, and `retry` never applies.
 */
export async function createPgliteClient(source: PgliteSource): Promise<SqlClient> {
  const owned = !isInstance(source);
  const db = isInstance(source) ? source : new (await loadPglite()).PGlite(source.dataDir);
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
