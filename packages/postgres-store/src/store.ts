import { ConfigError } from "@project88/core";
import type { SyncStore } from "@project88/core";
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import * as budgets from "./budgets.js";
import * as catalog from "./catalog.js";
import * as claims from "./claims.js";
import { databaseNow } from "./clock.js";
import * as discovery from "./discovery.js";
import * as history from "./history.js";
import { type MigrateResult, migrate } from "./migrate.js";
import * as pages from "./pages.js";
import { createPgClient } from "./pg-client.js";
import { plaintextWarning, type PgConnectionOptions } from "./pg-options.js";
import { createPgliteClient } from "./pglite-client.js";
import * as privacy from "./privacy.js";
import type { StoreContext } from "./rows.js";
import * as runs from "./runs.js";
import type { SqlClient } from "./sql-client.js";
import * as workingSet from "./working-set.js";
import { quoteIdent } from "./sql.js";

/** The default schema every table lives in. */
export const DEFAULT_SCHEMA = "project88_sync";

/**
 * Where the store keeps its data. Give at most one of `connectionString`, `pool` and `pglite`;
 * with none, an in-memory PGlite database is created (handy for a demo, gone on exit).
 */
export interface PostgresStoreOptions extends PgConnectionOptions {
  /** A PostgreSQL URL; the store creates (and `close()` ends) a `pg.Pool` for it. */
  readonly connectionString?: string | undefined;
  /** Size of the pool created from `connectionString`. Default 10. */
  readonly poolSize?: number | undefined;
  /** A `pg.Pool` the caller owns; `close()` leaves it open. */
  readonly pool?: pg.Pool | undefined;
  /**
   * Embedded PostgreSQL: a `PGlite` instance the caller owns (left open by `close()`), or
   * `{ dataDir }` for one the store creates (`dataDir` absent: in memory).
   */
  readonly pglite?: PGlite | { readonly dataDir?: string | undefined } | undefined;
  /** Schema of every table. Default `project88_sync`. Any name; it is quoted. */
  readonly schema?: string | undefined;
  /**
   * Called with a warning the operator should see, such as a plaintext connection to a remote
   * server. Default: `process.emitWarning`.
   */
  readonly onWarning?: ((message: string) => void) | undefined;
  /**
   * Apply pending migrations before returning. Default true; set false when a deploy step runs
   * `migrate()` (or `project88-sync migrate`) separately.
   */
  readonly migrate?: boolean | undefined;
}

/** The store, plus what operating it needs beyond `SyncStore`. */
export interface PostgresStore extends SyncStore {
  /** The schema the store uses (unquoted). */
  readonly schema: string;
  /** Which driver runs the SQL. */
  readonly driver: "pg" | "pglite";
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<MigrateResult>;
  /** The database server's clock (`clock_timestamp()`), which the engine compares with its own. */
  databaseNow(): Promise<Date>;
}

async function resolveClient(options: PostgresStoreOptions): Promise<SqlClient> {
  const given = (["connectionString", "pool", "pglite"] as const).filter((k) => options[k] !== undefined);
  if (given.length > 1) {
    throw new ConfigError(
      `[postgres-store] give one of connectionString, pool or pglite, not ${given.join(" and ")}`,
      given.map((path) => ({ path, message: "only one database source may be given" })),
    );
  }
  if (options.pool) return createPgClient({ pool: options.pool });
  if (options.connectionString !== undefined) {
    if (options.connectionString === "")
      throw new ConfigError("[postgres-store] connectionString is empty", [{ path: "connectionString", message: "empty" }]);
    const warning = plaintextWarning(options.connectionString, options.ssl);
    if (warning !== null) (options.onWarning ?? ((message: string) => process.emitWarning(message)))(warning);
    return createPgClient({ connectionString: options.connectionString, max: options.poolSize, connection: options });
  }
  return createPgliteClient(options.pglite ?? {});
}

function resolveSchema(schema: string | undefined): string {
  const name = schema ?? DEFAULT_SCHEMA;
  // PostgreSQL truncates identifiers at 63 bytes; two stores on different names would collide.
  if (name === "" || Buffer.byteLength(name) > 63 || name.includes("\u0000")) {
    throw new ConfigError(`[postgres-store] schema ${JSON.stringify(name)} must be 1 to 63 bytes`, [
      { path: "schema", message: "1 to 63 bytes" },
    ]);
  }
  return name;
}

/**
 * Creates a `SyncStore` on PostgreSQL (`pg`) or embedded PGlite; both run the same SQL through
 * one client seam. Migrates the schema first unless `migrate: false`.
 */
export async function createPostgresStore(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const schema = resolveSchema(options.schema);
  const db = await resolveClient(options);
  const ctx: StoreContext = { db, s: quoteIdent(schema) };
  const store: PostgresStore = {
    schema,
    driver: db.kind,
    migrate: () => migrate(db, schema),
    saveDiscovery: (args) => catalog.saveDiscovery(ctx, args),
    markForbidden: (args) => catalog.markForbidden(ctx, args),
    listEvents: (args) => catalog.listEvents(ctx, args),
    updateSchedule: (args) => catalog.updateSchedule(ctx, args),
    listWorkingSet: (args) => workingSet.listWorkingSet(ctx, args),
    summarizeEvents: (args) => workingSet.summarizeEvents(ctx, args),
    ping: () => workingSet.ping(ctx),
    pruneHistory: (args) => history.pruneHistory(ctx, args),
    listHistorySummaries: (args) => history.listHistorySummaries(ctx, args),
    claimDue: (args) => claims.claimDue(ctx, args),
    claimEvents: (args) => claims.claimEvents(ctx, args),
    renewLeases: (args) => claims.renewLeases(ctx, args),
    releaseLeases: (args) => claims.releaseLeases(ctx, args),
    startRun: (args) => runs.startRun(ctx, args),
    failRun: (args) => runs.failRun(ctx, args),
    listRuns: (args) => runs.listRuns(ctx, args),
    commitPage: (args) => pages.commitPage(ctx, args),
    listRegistrations: (args) => pages.listRegistrations(ctx, args),
    takeBudget: (args) => budgets.takeBudget(ctx, args),
    releaseBudget: (args) => budgets.releaseBudget(ctx, args),
    pauseBudget: (args) => budgets.pauseBudget(ctx, args),
    getBudgets: (args) => budgets.getBudgets(ctx, args),
    beginDiscovery: (args) => discovery.beginDiscovery(ctx, args),
    renewDiscovery: (args) => discovery.renewDiscovery(ctx, args),
    finishDiscovery: (args) => discovery.finishDiscovery(ctx, args),
    lastDiscoveries: (args) => discovery.lastDiscoveries(ctx, args),
    anonymiseEnded: (args) => privacy.anonymiseEnded(ctx, args),
    forget: (args) => privacy.forget(ctx, args),
    databaseNow: () => databaseNow(ctx),
    close: () => db.close(),
  };
  if (options.migrate ?? true) {
    try {
      await store.migrate();
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }
  return store;
}
