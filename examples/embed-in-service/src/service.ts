import { createSyncEngine, type ConnectionInput, type EngineEvents, type SyncEngine } from "@project88/core";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createRunSignupAdapter } from "@project88/runsignup-adapter";

/** Where the service's log lines and alerts go (a real service would use its own logger). */
export interface ServiceSink {
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something a person should look at: rejected credentials, a refused reconciliation. */
  alert(message: string, fields?: Record<string, unknown>): void;
}

export interface SyncServiceOptions {
  /** PostgreSQL URL; absent, an in-memory PGlite database (fine for trying it out). */
  readonly databaseUrl?: string | undefined;
  readonly schema?: string | undefined;
  readonly connections: readonly ConnectionInput[];
  readonly sink: ServiceSink;
}

/** What the service counts from the engine's events (a real one would export them as metrics). */
export interface SyncCounters {
  passes: number;
  failedPasses: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsRemoved: number;
  newEvents: number;
}

export interface SyncService {
  readonly engine: SyncEngine;
  readonly store: PostgresStore;
  readonly counters: SyncCounters;
  start(): Promise<void>;
  /** Stops claiming, lets the page in flight commit, releases leases, closes adapter and pool. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * A service that owns one engine: the RunSignUp adapter, the PostgreSQL store (migrated on
 * creation), and listeners on the engine's typed events.
 */
export async function createSyncService(options: SyncServiceOptions): Promise<SyncService> {
  const store = await createPostgresStore({
    ...(options.databaseUrl ? { connectionString: options.databaseUrl } : { pglite: {} }),
    schema: options.schema,
  });
  const adapter = createRunSignupAdapter();
  const engine = createSyncEngine({ adapters: [adapter], store, connections: options.connections });
  const counters: SyncCounters = { passes: 0, failedPasses: 0, rowsInserted: 0, rowsUpdated: 0, rowsRemoved: 0, newEvents: 0 };
  const { sink } = options;

  // Each payload is one object, so a listener reads the fields it needs and ignores the rest.
  const listeners: { [K in keyof EngineEvents]?: (payload: EngineEvents[K]) => void } = {
    "event:new": () => {
      counters.newEvents += 1;
    },
    "sync:finish": (e) => {
      counters.passes += 1;
      counters.rowsInserted += e.inserted;
      counters.rowsUpdated += e.updated;
      counters.rowsRemoved += e.removed;
      sink.info("pass finished", {
        connectionId: e.connectionId,
        raceId: e.raceId,
        eventIds: e.eventIds,
        kind: e.kind,
        inserted: e.inserted,
        updated: e.updated,
      });
    },
    "sync:error": (e) => {
      counters.failedPasses += 1;
      sink.info("pass failed", { connectionId: e.connectionId, raceId: e.raceId, code: e.error.code, retryAt: e.retryAt });
    },
    "budget:throttled": (e) => {
      if (e.reason === "credentials rejected")
        sink.alert("RunSignUp rejected the credentials", { connectionId: e.connectionId, until: e.until });
    },
    "reconcile:refused": (e) =>
      sink.alert("reconciliation refused: too many registrations would vanish", { raceId: e.raceId, wouldVanish: e.wouldVanish }),
  };
  for (const [name, fn] of Object.entries(listeners)) engine.on(name as keyof EngineEvents, fn as never);

  return {
    engine,
    store,
    counters,
    start: () => engine.start(),
    async stop(timeoutMs = 30_000) {
      await engine.stop({ timeoutMs });
      for (const [name, fn] of Object.entries(listeners)) engine.off(name as keyof EngineEvents, fn as never);
      await adapter.close();
      await store.close();
    },
  };
}
