import type { ParseArgsConfig } from "node:util";
import type { RunnerDeps } from "../deps.js";
import type { CliIo } from "../io.js";

/** Options of `util.parseArgs`. */
export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/** What a command receives: the process's I/O, the parsed flags and the runner's parts. */
export interface CommandContext {
  /** The command's name (`start`), recorded in the embedded database's lock. */
  readonly name: string;
  readonly io: CliIo;
  readonly deps: RunnerDeps;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** One sub-command of `project88-sync`. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** `project88-sync sync <provider>:<eventId> [--full]` */
  readonly usage: string;
  /** Flags beyond the common ones, with their help text. */
  readonly options: OptionSpecs;
  readonly help: Readonly<Record<string, string>>;
  /** Number of positional arguments accepted. */
  readonly positionals: number;
  /** Returns the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Flags every command accepts. */
export const COMMON_OPTIONS: OptionSpecs = {
  config: { type: "string", short: "c" },
  "log-level": { type: "string" },
  "log-file": { type: "string" },
  help: { type: "boolean", short: "h" },
};

export const COMMON_HELP: Readonly<Record<string, string>> = {
  config: "configuration file (default ./project88-sync.config.json)",
  "log-level": "trace, debug, info, warn, error or silent (default info)",
  "log-file": "append JSON log lines to this file instead of stdout; `start` reopens it on SIGHUP (logrotate)",
  help: "show this help",
};

/** Flags of the commands that open the database and run the engine. */
export const ENGINE_OPTIONS: OptionSpecs = {
  "no-migrate": { type: "boolean" },
  "shutdown-timeout": { type: "string" },
};

export const ENGINE_HELP: Readonly<Record<string, string>> = {
  "no-migrate": "do not apply database migrations first",
  "shutdown-timeout": "on SIGTERM/SIGINT, how long the page in flight may take to commit (default 30s)",
};

/** A usage error: exit code 2 with the command's help hint. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
