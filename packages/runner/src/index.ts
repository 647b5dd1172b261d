/**
 * @project88/runner: the `project88-sync` command line, and the pieces a service embedding the
 * engine may reuse: configuration, logging, metrics, the status server and its JSON. Everything
 * else (commands, the status page and text, the data-directory lock, reload) is internal; the
 * package's own tests import it by path.
 */
export { runCli } from "./run-cli.js";
export { EXIT_OK, EXIT_FAILED, EXIT_USAGE, type CliIo, type OutputStream } from "./io.js";
export { loadConfig, parseConfig, type RunnerConfig, type RunSignupSettings, type DatabaseSource, type Env } from "./config.js";
export type { ConfigFile, ConfigFileInput } from "./config-schema.js";
export {
  createLogger,
  attachEngineLogging,
  type CreateLoggerOptions,
  type EngineEmitter,
  type Logger,
} from "./logging.js";
export { createMetrics, type RunnerMetrics } from "./metrics.js";
export { createErrorLog, type ErrorLog, type RecentError } from "./error-log.js";
export { startHttpServer, type HttpServerOptions, type RunnerHttpServer } from "./http.js";
export { toStatusJson, type StatusJson, type EventStatusJson, type ConnectionStatusJson } from "./status-json.js";
export type { RunnerDeps, OpenStoreArgs, OpenedStore, AdapterHooks, AdapterSettings } from "./deps.js";
export { defaultDeps } from "./default-deps.js";
