import type { LevelWithSilent } from "pino";
import { resolve } from "node:path";
import { ConfigError, type Secret } from "@project88/core";
import { DEFAULT_CONFIG_PATH, loadConfig, type RunnerConfig } from "../config.js";
import { parseDuration } from "../duration.js";
import { createLogger, openLogFile, type Logger } from "../logging.js";
import { openRuntime, type Runtime } from "../runtime.js";
import { UsageError, type CommandContext } from "./command.js";

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** The configuration file named by `--config`, or the default one. */
export function configPath(ctx: CommandContext): string {
  return typeof ctx.values.config === "string" ? ctx.values.config : DEFAULT_CONFIG_PATH;
}

/** Loads the configuration named by `--config` (or the default file). */
export function loadCommandConfig(ctx: CommandContext): Promise<RunnerConfig> {
  return loadConfig(configPath(ctx), { env: ctx.io.env, cwd: ctx.io.cwd });
}

/**
 * The command's logger: JSON lines on stdout, pretty on a TTY. Commands whose stdout is their
 * result (`status`, `plan`) log warnings only, to stderr, so their output stays parseable.
 */
export function commandLogger(ctx: CommandContext, config: RunnerConfig | null, options: { readonly quiet?: boolean } = {}): Logger {
  return commandLogging(ctx, config, options).logger;
}

/** A command's logging: the logger, and what a configuration reload or logrotate needs. */
export interface CommandLogging {
  readonly logger: Logger;
  /** Reopens `--log-file` at its path (after logrotate moved it); a no-op without one. */
  reopen(): void;
  /** Scrubs these secrets from every later line (a reloaded configuration's). */
  setSecrets(secrets: readonly Secret[]): void;
}

/** `commandLogger`, with `--log-file` (JSON lines appended to a file) and its reopening. */
export function commandLogging(
  ctx: CommandContext,
  config: RunnerConfig | null,
  options: { readonly quiet?: boolean } = {},
): CommandLogging {
  const requested = ctx.values["log-level"];
  if (requested !== undefined && (typeof requested !== "string" || !LEVELS.has(requested))) {
    throw new UsageError(`--log-level must be one of ${[...LEVELS].join(", ")}`);
  }
  const fileFlag = ctx.values["log-file"];
  if (fileFlag !== undefined && (typeof fileFlag !== "string" || fileFlag === "")) throw new UsageError("--log-file expects a file path");
  const level = (requested as LevelWithSilent | undefined) ?? (options.quiet ? "warn" : "info");
  let secrets: readonly Secret[] = config?.secrets ?? [];
  if (typeof fileFlag === "string") {
    const file = openLogFile(resolve(ctx.io.cwd, fileFlag));
    const logger = createLogger({ stream: file, pretty: false, level, secrets: () => secrets });
    return {
      logger,
      reopen: () => file.reopen(),
      setSecrets: (next) => {
        secrets = next;
      },
    };
  }
  const stream = options.quiet ? ctx.io.stderr : ctx.io.stdout;
  const logger = createLogger({ stream, pretty: stream.isTTY === true, level, secrets: () => secrets });
  return {
    logger,
    reopen: () => undefined,
    setSecrets: (next) => {
      secrets = next;
    },
  };
}

/** A duration flag in ms (`--shutdown-timeout 30s`), or the fallback. */
export function durationFlag(ctx: CommandContext, name: string, fallback: number): number {
  const raw = ctx.values[name];
  if (raw === undefined) return fallback;
  const ms = typeof raw === "string" ? parseDuration(raw) : null;
  if (ms === null) throw new UsageError(`--${name} expects a duration such as 30s, 5m or 1h`);
  return ms;
}

/** An integer flag within bounds, or the fallback. */
export function intFlag(ctx: CommandContext, name: string, fallback: number, min: number, max: number): number {
  const raw = ctx.values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} expects a whole number from ${min} to ${max}`);
  return n;
}

/** Opens the runtime for a command, runs `fn`, and always closes it. */
export async function withRuntime<T>(
  ctx: CommandContext,
  config: RunnerConfig,
  logger: Logger,
  options: { readonly migrate: boolean },
  fn: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime({
    config,
    deps: ctx.deps,
    logger,
    cwd: ctx.io.cwd,
    migrate: options.migrate,
    command: `project88-sync ${ctx.name}`,
  });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** Whether migrations run before the command (`--no-migrate` turns them off). */
export function shouldMigrate(ctx: CommandContext): boolean {
  return ctx.values["no-migrate"] !== true;
}

export { ConfigError };
