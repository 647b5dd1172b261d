import type { DatabaseOptions } from "./config.js";
import type { ProviderAdapter, Secret, SyncEngine, SyncEngineOptions, SyncStore } from "@project88/core";
import type { RunSignupSettings } from "./config.js";

/** Where the runner's store lives. */
export interface OpenStoreArgs {
  /** PostgreSQL connection string, or null for the embedded PGlite database in `dataDir`. */
  readonly databaseUrl: Secret | null;
  readonly schema: string;
  /** Data directory of the embedded database (`./.project88-sync/pgdata`); null keeps it in memory (the demo). */
  readonly dataDir: string | null;
  /** The command opening it (`project88-sync start`), recorded in the embedded database's lock. */
  readonly command?: string | undefined;
  /** PostgreSQL client settings (timeouts, TLS); ignored by the embedded database. */
  readonly connection?: DatabaseOptions | undefined;
  /** Receives warnings about the database (a plaintext connection to a remote server). */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** An opened store with its migration entry point. */
export interface OpenedStore {
  readonly store: SyncStore;
  migrate(): Promise<{ readonly applied: readonly number[]; readonly version: number }>;
  close(): Promise<void>;
  /**
   * Records the status server's address beside the embedded database's lock, so `status` and
   * `plan` in another process can ask this one. Absent when there is no lock (PostgreSQL).
   */
  recordHttp?(url: string): Promise<void>;
}

/** One HTTP request an adapter made (RunSignUp's `onRequest`), for metrics. No URL, no secret. */
export interface RequestObservation {
  readonly connectionId: string;
  /** HTTP status, or null when no response came (timeout, reset). */
  readonly status: number | null;
  readonly durationMs: number;
  /** Set when the request failed, including provider errors sent with HTTP 200. */
  readonly error: string | null;
}

/** Hooks the runner hands to the adapters it creates. */
export interface AdapterHooks {
  readonly onRequest?: (info: RequestObservation) => void;
}

/** The configuration's settings for the adapters (the `runsignup` section). */
export interface AdapterSettings {
  readonly runsignup?: RunSignupSettings | undefined;
}

/**
 * The pieces the runner assembles. The defaults are the RunSignUp adapter, the PostgreSQL store
 * and core's engine; tests and embedders may replace any of them.
 */
export interface RunnerDeps {
  openStore(args: OpenStoreArgs): Promise<OpenedStore>;
  createAdapters(hooks?: AdapterHooks, settings?: AdapterSettings): readonly ProviderAdapter[];
  createEngine(options: SyncEngineOptions): SyncEngine;
}
