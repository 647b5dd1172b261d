import { resolve } from "node:path";
import type { SyncEngine } from "@project88/core";
import type { RunnerConfig } from "./config.js";
import type { OpenedStore, OpenStoreArgs, RunnerDeps } from "./deps.js";
import { createErrorLog, type ErrorLog } from "./error-log.js";
import { attachEngineLogging, type Logger } from "./logging.js";
import { createMetrics, type RunnerMetrics } from "./metrics.js";

/** Directory of the embedded database, relative to the working directory. */
export const EMBEDDED_DIR = ".project88-sync";

/** A store and an engine wired to logs, metrics and the recent-error list. */
export interface Runtime {
  readonly config: RunnerConfig;
  readonly opened: OpenedStore;
  readonly engine: SyncEngine;
  readonly metrics: RunnerMetrics;
  readonly errors: ErrorLog;
  /** Detaches listeners and closes the store. Idempotent. */
  close(): Promise<void>;
}

export interface OpenRuntimeArgs {
  readonly config: RunnerConfig;
  readonly deps: RunnerDeps;
  readonly logger: Logger;
  readonly cwd: string;
  /** Apply migrations before creating the engine. */
  readonly migrate: boolean;
  /** Keep the embedded database in memory instead of under `./.project88-sync/` (the demo). */
  readonly inMemory?: boolean;
  /** The command line recorded in the embedded database's lock (`project88-sync start`). */
  readonly command?: string;
  /** Engine options beyond the configuration (the demo's faster poll). */
  readonly pollMs?: number;
}

/** Says where the data goes; the embedded database is announced so nobody mistakes it for production. */
export function describeDatabase(config: RunnerConfig, cwd: string, inMemory = false): string {
  switch (config.databaseSource) {
    case "embedded":
      if (inMemory) return "no database configured (DATABASE_URL): using an embedded PGlite database in memory";
      return `no database configured (database.url or DATABASE_URL): using the embedded PGlite database under ${resolve(cwd, EMBEDDED_DIR)}`;
    case "DATABASE_URL":
      return `using PostgreSQL from DATABASE_URL, schema "${config.schema}"`;
    default:
      return `using PostgreSQL from database.url, schema "${config.schema}"`;
  }
}

/** What `openStore` needs for this configuration: where the data lives, the client settings, the lock's command. */
export function storeArgs(
  config: RunnerConfig,
  cwd: string,
  options: { readonly inMemory?: boolean | undefined; readonly command?: string | undefined; readonly logger: Logger },
): OpenStoreArgs {
  return {
    databaseUrl: config.databaseUrl,
    schema: config.schema,
    dataDir: options.inMemory ? null : resolve(cwd, EMBEDDED_DIR, "pgdata"),
    command: options.command,
    connection: config.database,
    onWarning: (message) => options.logger.warn(message),
  };
}

/** Opens the store (migrating it when asked), then creates the engine and attaches logging and metrics. */
export async function openRuntime(args: OpenRuntimeArgs): Promise<Runtime> {
  const { config, deps, logger } = args;
  logger.info({ database: config.databaseSource, schema: config.schema }, describeDatabase(config, args.cwd, args.inMemory));
  const opened = await deps.openStore(storeArgs(config, args.cwd, { inMemory: args.inMemory, command: args.command, logger }));
  try {
    if (args.migrate) {
      const result = await opened.migrate();
      logger.info(
        { applied: result.applied, version: result.version },
        result.applied.length > 0 ? "migrations applied" : "schema up to date",
      );
    }
    const metrics = createMetrics();
    const adapters = deps.createAdapters({ onRequest: (info) => metrics.observeRequest(info) }, { runsignup: config.runsignup });
    const engine = deps.createEngine({
      adapters,
      store: opened.store,
      connections: config.connections,
      schedule: config.schedule,
      retention: config.retention ?? undefined,
      ...(config.history === undefined ? {} : { history: config.history }),
      ...(config.recentEventsMs === undefined ? {} : { recentEventsMs: config.recentEventsMs }),
      ...(config.clock?.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: config.clock.maxClockSkewMs }),
      ...(config.clock?.clockCheckEveryMs === undefined ? {} : { clockCheckEveryMs: config.clock.clockCheckEveryMs }),
      ...(config.engine?.leaseMs === undefined ? {} : { leaseMs: config.engine.leaseMs }),
      ...((args.pollMs ?? config.engine?.pollMs) === undefined ? {} : { pollMs: args.pollMs ?? config.engine?.pollMs }),
    });
    const errors = createErrorLog({ secrets: config.secrets });
    const detach = [attachEngineLogging(engine, logger), metrics.attach(engine), errors.attach(engine)];
    let closed = false;
    return {
      config,
      opened,
      engine,
      metrics,
      errors,
      async close() {
        if (closed) return;
        closed = true;
        for (const fn of detach) fn();
        // Adapters may hold keep-alive pools (RunSignUp's undici Pool); close them with the store.
        await Promise.all(adapters.map((a) => (a as { close?: () => Promise<void> }).close?.().catch(() => undefined)));
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close().catch(() => undefined);
    throw error;
  }
}
