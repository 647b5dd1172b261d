/**
 * @project88/runner: the `project88-sync` command line and everything it is made of, exported so
 * a service can embed the same pieces and tests can run every command in-process.
 */
export { runCli, COMMANDS } from "./run-cli.js";
export { EXIT_OK, EXIT_FAILED, EXIT_USAGE, type CliIo, type OutputStream } from "./io.js";
export {
  loadConfig,
  parseConfig,
  formatPath,
  DEFAULT_CONFIG_PATH,
  DEFAULT_HTTP_PORT,
  type RunnerConfig,
  type RunSignupSettings,
  type DatabaseSource,
  type Env,
} from "./config.js";
export { configFileSchema, type ConfigFile, type ConfigFileInput } from "./config-schema.js";
export { parseDuration, formatDuration } from "./duration.js";
export {
  createLogger,
  attachEngineLogging,
  openLogFile,
  REDACT_PATHS,
  type CreateLoggerOptions,
  type EngineEmitter,
  type LogFile,
  type Logger,
} from "./logging.js";
export { reloadConfiguration, settingsNeedingRestart, type ReloadArgs } from "./reload.js";
export { createMetrics, type RunnerMetrics } from "./metrics.js";
export { createErrorLog, type ErrorLog, type RecentError } from "./error-log.js";
export { startHttpServer, type HttpServerOptions, type RunnerHttpServer } from "./http.js";
export { renderStatusPage, type StatusPageInput } from "./status-page.js";
export { toStatusJson, type StatusJson, type EventStatusJson, type ConnectionStatusJson } from "./status-json.js";
export { renderStatusText, renderPlanText } from "./status-text.js";
export { escapeHtml, formatInZone } from "./html.js";
export { openRuntime, describeDatabase, EMBEDDED_DIR, type Runtime, type OpenRuntimeArgs } from "./runtime.js";
export type { RunnerDeps, OpenStoreArgs, OpenedStore, AdapterHooks, AdapterSettings } from "./deps.js";
export { defaultDeps, openPostgresStore } from "./default-deps.js";
