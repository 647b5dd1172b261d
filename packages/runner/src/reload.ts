import { ConfigError, type SyncEngine } from "@project88/core";
import { loadConfig, type Env, type RunnerConfig } from "./config.js";
import type { Logger } from "./logging.js";

/** What a reload needs. */
export interface ReloadArgs {
  /** The configuration file as given (`--config`), named in every message. */
  readonly path: string;
  readonly env: Env;
  readonly cwd: string;
  readonly engine: Pick<SyncEngine, "setConnections">;
  readonly logger: Logger;
  /** Called with a new configuration's secrets before it is applied (log scrubbing). */
  readonly onSecrets?: ((config: RunnerConfig) => void) | undefined;
}

/**
 * Settings the running process cannot change: they are reported, never applied silently, so an
 * operator knows a restart is still needed. Compared as JSON (secrets serialise as `[redacted]`,
 * so the database URL is compared by value separately).
 */
export function settingsNeedingRestart(current: RunnerConfig, next: RunnerConfig): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (current.databaseUrl?.reveal() !== next.databaseUrl?.reveal() || current.databaseSource !== next.databaseSource)
    changed.push("database");
  if (current.schema !== next.schema) changed.push("schema");
  if (!same(current.schedule, next.schedule)) changed.push("schedule");
  if (!same(current.retention, next.retention)) changed.push("retention");
  if (!same(current.http, next.http)) changed.push("http");
  return changed;
}

/**
 * SIGHUP: rereads the configuration file and applies the difference in connections to the running
 * engine (added, updated, removed: ids only in the log, never a secret). A file that does not
 * validate is refused with its path and problems, and nothing changes. Returns the configuration
 * now in force.
 */
export async function reloadConfiguration(current: RunnerConfig, args: ReloadArgs): Promise<RunnerConfig> {
  const { logger, path } = args;
  let next: RunnerConfig;
  try {
    next = await loadConfig(path, { env: args.env, cwd: args.cwd });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error(
      { event: "config:refused", path, issues: error.issues },
      `SIGHUP: configuration ${path} refused, nothing changed: ${error.message}`,
    );
    return current;
  }
  args.onSecrets?.(next);
  try {
    const change = await args.engine.setConnections(next.connections);
    const restart = settingsNeedingRestart(current, next);
    logger.info(
      {
        event: "config:reloaded",
        path,
        added: change.added,
        updated: change.updated,
        removed: change.removed,
        interrupted: change.interrupted,
        needsRestart: restart,
      },
      `SIGHUP: configuration ${path} reloaded: ${describe(change)}`,
    );
    if (restart.length > 0)
      logger.warn(
        { event: "config:restart-needed", path, settings: restart },
        `SIGHUP: ${restart.join(", ")} changed in ${path}; these apply only after a restart`,
      );
    // Settings that need a restart stay as they run, so the next reload compares with what is in force.
    return { ...current, connections: next.connections, secrets: next.secrets };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error(
      { event: "config:refused", path, issues: error.issues },
      `SIGHUP: configuration ${path} refused, nothing changed: ${error.message}`,
    );
    return current;
  }
}

function describe(change: { added: readonly string[]; updated: readonly string[]; removed: readonly string[] }): string {
  const parts = [
    change.added.length > 0 ? `added ${change.added.join(", ")}` : "",
    change.updated.length > 0 ? `updated ${change.updated.join(", ")}` : "",
    change.removed.length > 0 ? `removed ${change.removed.join(", ")}` : "",
  ].filter((p) => p !== "");
  return parts.length > 0 ? parts.join("; ") : "no connection changed";
}
