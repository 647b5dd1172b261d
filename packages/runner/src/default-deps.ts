import { mkdir } from "node:fs/promises";
import { createSyncEngine } from "@project88/core";
import { createPostgresStore } from "@project88/postgres-store";
import { createRunSignupAdapter } from "@project88/runsignup-adapter";
import type { OpenStoreArgs, OpenedStore, RunnerDeps } from "./deps.js";

/** Opens the PostgreSQL store, or the embedded PGlite one in `dataDir` when there is no URL. */
export async function openPostgresStore(args: OpenStoreArgs): Promise<OpenedStore> {
  if (args.databaseUrl === null && args.dataDir !== null) await mkdir(args.dataDir, { recursive: true });
  const store = await createPostgresStore({
    ...(args.databaseUrl === null ? { pglite: { dataDir: args.dataDir ?? undefined } } : { connectionString: args.databaseUrl.reveal() }),
    schema: args.schema,
    // The runner decides when to migrate (`--no-migrate`, `migrate`).
    migrate: false,
  });
  return { store, migrate: () => store.migrate(), close: () => store.close() };
}

/** The runner's parts: RunSignUp adapter, PostgreSQL/PGlite store, core's engine. */
export const defaultDeps: RunnerDeps = {
  openStore: openPostgresStore,
  // The adapter's onRequest sees a redacted URL; only the id, status and timing are passed on.
  createAdapters: (hooks = {}, settings = {}) => [
    createRunSignupAdapter({
      ...settings.runsignup,
      onRequest: hooks.onRequest
        ? (info) => hooks.onRequest?.({ connectionId: info.connectionId, status: info.status, durationMs: info.durationMs, error: info.error })
        : undefined,
    }),
  ],
  createEngine: createSyncEngine,
};
