import type { SqlQueryable } from "./sql-client.js";

/**
 * Makes this transaction compress what it writes with lz4 where the server has it (PostgreSQL
 * 14+ built with lz4); elsewhere (PGlite, a server without lz4) it changes nothing.
 *
 * Why: a registration's raw JSON (~1.5 KB) pushes its row past the TOAST threshold, so every
 * inserted or rewritten row compresses `raw`, and pglz (the default) took a third of a fresh
 * page's insert time. lz4 compresses about as well here at a fraction of the CPU, and reading is
 * transparent: each stored value records its own method, so pglz and lz4 values coexist in the
 * column. A compression method set explicitly on the column still wins over this setting.
 *
 * One statement, no error path: `set_config` only runs for the row that says lz4 is accepted,
 * and `true` scopes the setting to the current transaction.
 */
export async function preferLz4Compression(q: SqlQueryable): Promise<void> {
  await q.query(
    `SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings
     WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
  );
}
