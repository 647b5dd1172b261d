import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { createSyncEngine } from "@project88/core";
import { createPostgresStore } from "@project88/postgres-store";
import { createRunSignupAdapter } from "@project88/runsignup-adapter";
import { pgConnectionOptions } from "./config.js";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock.js";
import type { OpenStoreArgs, OpenedStore, RunnerDeps } from "./deps.js";

/**
 * Opens the PostgreSQL store, or the embedded PGlite one in `dataDir` when there is no URL. The
 * embedded database is single-process: its directory's lock is held until `close()`, and a
 * second process gets a `DataDirLockedError` naming the holder.
 */
export async function openPostgresStore(args: OpenStoreArgs): Promise<OpenedStore> {
  let lock: DataDirLock | null = null;
  if (args.databaseUrl === null && args.dataDir !== null) {
    lock = await acquireDataDirLock(dirname(args.dataDir), { command: args.command ?? "project88-sync" });
  }
  try {
    if (lock !== null && args.dataDir !== null) await mkdir(args.dataDir, { recursive: true, mode: 0o700 });
    const store = await createPostgresStore({
      ...(args.databaseUrl === null
        ? { pglite: { dataDir: args.dataDir ?? undefined } }
        : { connectionString: args.databaseUrl.reveal(), ...pgConnectionOptions(args.connection ?? {}) }),
      schema: args.schema,
      onWarning: args.onWarning,
      // The runner decides when to migrate (`--no-migrate`, `migrate`).
      migrate: false,
    });
    return {
      store,
      migrate: () => store.migrate(),
      close: async () => {
        try {
          await store.close();
        } finally {
          await lock?.release();
        }
      },
      ...(lock ? { recordHttp: (url: string) => (lock as DataDirLock).setHttp(url) } : {}),
    };
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

/** The runner's parts: RunSignUp adapter, PostgreSQL/PGlite store, core's engine. */
export const defaultDeps: RunnerDeps = {
  openStore: openPostgresStore,
  // The adapter's onRequest sees a redacted URL; only the id, status and timing are passed on.
  createAdapters: (hooks = {}, settings = {}) => [
    createRunSignupAdapter({
      ...settings.runsignup,
      onRequest: hooks.onRequest
        ? (info) =>
            hooks.onRequest?.({ connectionId: info.connectionId, status: info.status, durationMs: info.durationMs, error: info.error })
        : undefined,
    }),
  ],
  createEngine: createSyncEngine,
};
