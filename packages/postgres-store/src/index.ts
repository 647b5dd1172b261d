export { createPostgresStore, DEFAULT_SCHEMA } from "./store.js";
export type { PostgresStore, PostgresStoreOptions } from "./store.js";
export { loadMigrations } from "./migrate.js";
export type { Migration, MigrateResult } from "./migrate.js";
export { PG_DEFAULTS, plaintextWarning } from "./pg-options.js";
export type { PgConnectionOptions } from "./pg-options.js";
