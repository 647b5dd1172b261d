import { startHttpServer, type RunnerHttpServer } from "../http.js";
import { EXIT_FAILED, EXIT_OK, whenAborted } from "../io.js";
import type { Logger } from "../logging.js";
import type { Runtime } from "../runtime.js";
import { COMMON_HELP, COMMON_OPTIONS, ENGINE_HELP, ENGINE_OPTIONS, type Command, type CommandContext } from "./command.js";
import type { RunnerConfig } from "../config.js";
import { reloadConfiguration } from "../reload.js";
import {
  commandLogging,
  configPath,
  durationFlag,
  intFlag,
  loadCommandConfig,
  shouldMigrate,
  withRuntime,
  type CommandLogging,
} from "./common.js";

/** Default grace period for the page in flight on SIGTERM/SIGINT. */
export const DEFAULT_SHUTDOWN_MS = 30_000;

/**
 * Starts the HTTP server unless the port is 0, logs the address really bound, and records it
 * beside the embedded database's lock for `status` and `plan` run in another process.
 */
export async function serveRuntime(
  runtime: Runtime,
  logger: Logger,
  port: number,
  host: string,
  title?: string,
): Promise<RunnerHttpServer | null> {
  if (port === 0) return null;
  const server = await startHttpServer({
    port,
    host,
    token: runtime.config.http.token,
    status: () => runtime.engine.status(),
    plan: (hours) => runtime.engine.plan(hours),
    ready: () => runtime.engine.ready(),
    metrics: runtime.metrics,
    errors: runtime.errors,
    tierOrder: runtime.config.tierOrder,
    logger,
    title,
  });
  const exposed = server.address !== "127.0.0.1" && server.address !== "::1";
  logger.info(
    { address: server.address, port: server.port, token: runtime.config.http.token !== null },
    `status page at ${server.url} (metrics at ${server.url}metrics), listening on ${server.address}:${server.port}${exposed ? ", reachable from other machines" : ", this machine only"}`,
  );
  await runtime.opened.recordHttp?.(server.url);
  return server;
}

/**
 * Runs the engine until the signal aborts: stop claiming, let the page in flight commit, release
 * leases, close the server and the store, then resolve 0. If the engine stops by itself, 1.
 */
export async function runUntilAborted(
  ctx: CommandContext,
  runtime: Runtime,
  logger: Logger,
  server: RunnerHttpServer | null,
): Promise<number> {
  const timeoutMs = durationFlag(ctx, "shutdown-timeout", DEFAULT_SHUTDOWN_MS);
  let stoppedByUs = false;
  const stoppedByItself = new Promise<void>((resolve) => {
    runtime.engine.on("engine:stop", () => {
      if (!stoppedByUs) resolve();
    });
  });
  try {
    await runtime.engine.start();
    await Promise.race([whenAborted(ctx.io.signal), stoppedByItself]);
    if (!ctx.io.signal?.aborted) {
      logger.error("the engine stopped unexpectedly");
      return EXIT_FAILED;
    }
    stoppedByUs = true;
    logger.info({ timeoutMs }, "stopping: no new work is claimed; the page in flight may finish");
    await runtime.engine.stop({ timeoutMs });
    logger.info("stopped cleanly");
    return EXIT_OK;
  } finally {
    stoppedByUs = true;
    await server?.close();
  }
}

/**
 * SIGHUP, the daemon convention: reopen `--log-file` (logrotate has moved it) and reread the
 * configuration, applying the difference in connections to the running engine. Reloads run one
 * after another; a signal during a reload is served after it.
 */
function handleHangups(ctx: CommandContext, runtime: Runtime, logging: CommandLogging, initial: RunnerConfig): () => void {
  if (ctx.io.onHangup === undefined) return () => undefined;
  const path = configPath(ctx);
  let current = initial;
  let queue = Promise.resolve();
  return ctx.io.onHangup(() => {
    queue = queue
      .then(async () => {
        logging.reopen();
        logging.logger.info({ event: "signal:hangup", path }, "SIGHUP received: log file reopened, rereading the configuration");
        current = await reloadConfiguration(current, {
          path,
          env: ctx.io.env,
          cwd: ctx.io.cwd,
          engine: runtime.engine,
          logger: logging.logger,
          // Old and new: a line about a removed connection may still carry its secret's shape.
          onSecrets: (next) => logging.setSecrets([...current.secrets, ...next.secrets]),
        });
      })
      .catch((error: unknown) => {
        logging.logger.error({ event: "config:refused", path, err: error }, `SIGHUP: reloading ${path} failed, nothing changed`);
      });
  });
}

export const startCommand: Command = {
  name: "start",
  summary: "run the sync engine until SIGTERM/SIGINT, with the status page and metrics",
  usage: "project88-sync start [--config PATH] [--port N] [--no-migrate] [--log-file PATH]",
  options: { ...COMMON_OPTIONS, ...ENGINE_OPTIONS, port: { type: "string", short: "p" } },
  help: { ...COMMON_HELP, ...ENGINE_HELP, port: "HTTP port for /, /status, /metrics, /healthz, /readyz (default 9464; 0 disables)" },
  positionals: 0,
  async run(ctx) {
    const config = await loadCommandConfig(ctx);
    const logging = commandLogging(ctx, config);
    const { logger } = logging;
    const port = intFlag(ctx, "port", config.http.port, 0, 65_535);
    durationFlag(ctx, "shutdown-timeout", DEFAULT_SHUTDOWN_MS);
    return withRuntime(ctx, config, logger, { migrate: shouldMigrate(ctx) }, async (runtime) => {
      const stopHangups = handleHangups(ctx, runtime, logging, config);
      try {
        const server = await serveRuntime(runtime, logger, port, config.http.host);
        return await runUntilAborted(ctx, runtime, logger, server);
      } finally {
        stopHangups();
      }
    });
  },
};
