import { readFile, readdir, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { StoreError } from "@project88/core";
import type { SqlClient } from "./sql-client.js";
import { quoteIdent } from "./sql.js";

/** One numbered migration file (`0001_initial.sql`). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** What `migrate()` did. */
export interface MigrateResult {
  /** Versions this call applied (empty when the schema was up to date). */
  readonly applied: readonly number[];
  /** The schema's version afterwards. */
  readonly version: number;
}

const FILE = /^(\d+)_([\w-]+)\.sql$/;

/**
 * The package's `migrations/` folder. Resolved from this module's own URL so it works from
 * `src/` (tests, `--conditions=source`) and from a bundled `dist/` chunk alike.
 */
async function migrationsDir(): Promise<string> {
  for (const relative of ["../migrations/", "../../migrations/"]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (
      await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      )
    )
      return dir;
  }
  throw new StoreError("[postgres-store] migrations folder not found beside the package");
}

/** Reads the shipped migrations, in version order. */
export async function loadMigrations(): Promise<Migration[]> {
  const dir = await migrationsDir();
  const migrations: Migration[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const match = FILE.exec(file);
    if (!match) continue;
    migrations.push({ version: Number(match[1]), name: match[2] ?? file, sql: await readFile(`${dir}${file}`, "utf8") });
  }
  return migrations;
}

/**
 * Brings `schema` up to the newest shipped migration, in one transaction under a
 * transaction-scoped advisory lock keyed by the schema: a second process calling `migrate` at
 * the same time waits for the first, then finds nothing left to apply. A schema already at a
 * higher version than this package knows is refused (an older deploy must not run against it).
 */
export async function migrate(client: SqlClient, schema: string): Promise<MigrateResult> {
  const migrations = await loadMigrations();
  const known = migrations.at(-1)?.version ?? 0;
  const s = quoteIdent(schema);
  return client.transaction(
    async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`project88_sync.migrate:${schema}`]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = await tx.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations ORDER BY version`);
      const applied = new Set(done.rows.map((r) => r.version));
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new StoreError(
          `[postgres-store] schema "${schema}" is at migration ${newest}, newer than this version of @project88/postgres-store knows (${known}); upgrade the package`,
        );
      }
      // Unqualified names in the migration files land in the store's schema.
      await tx.query(`SET LOCAL search_path TO ${s}, public`);
      const now: number[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await tx.exec(m.sql);
        await tx.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        now.push(m.version);
      }
      return { applied: now, version: Math.max(newest, ...now) };
    },
    { operation: "migrate" },
  );
}
