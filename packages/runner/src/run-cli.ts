import { parseArgs } from "node:util";
import { ConfigError, SyncError } from "@project88/core";
import type { Command, CommandContext } from "./commands/command.js";
import { UsageError } from "./commands/command.js";
import { demoCommand } from "./commands/demo.js";
import { lockedMessage } from "./commands/remote.js";
import { DataDirLockedError } from "./data-dir-lock.js";
import { discoverCommand } from "./commands/discover.js";
import { forgetCommand } from "./commands/forget.js";
import { migrateCommand } from "./commands/migrate.js";
import { onceCommand } from "./commands/once.js";
import { planCommand } from "./commands/plan.js";
import { purgeCommand } from "./commands/purge.js";
import { startCommand } from "./commands/start.js";
import { statusCommand } from "./commands/status.js";
import { syncCommand } from "./commands/sync.js";
import type { RunnerDeps } from "./deps.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, println, type CliIo } from "./io.js";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  onceCommand,
  discoverCommand,
  syncCommand,
  statusCommand,
  planCommand,
  migrateCommand,
  purgeCommand,
  forgetCommand,
  demoCommand,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "project88-sync: keeps a timing company's PostgreSQL in step with registration platforms.",
    "",
    "Usage: project88-sync <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `project88-sync <command> --help` for a command's options.",
    "Exit codes: 0 done, 1 the work failed, 2 bad usage or configuration.",
  ].join("\n");
}

function commandHelp(command: Command): string {
  const flags = Object.entries(command.options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const arg = spec.type === "string" ? ` <value>` : "";
    return [`  ${short}--${name}${arg}`, command.help[name] ?? ""] as const;
  });
  const width = Math.max(...flags.map(([f]) => f.length));
  return [`${command.summary}`, "", `Usage: ${command.usage}`, "", "Options:", ...flags.map(([f, h]) => `${f.padEnd(width)}  ${h}`)].join(
    "\n",
  );
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof TypeError && typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

/**
 * Runs `project88-sync` in-process: `argv` without the node and script paths. Resolves to the
 * exit code (0 done, 1 the work failed, 2 bad usage or configuration); never calls `process`.
 */
export async function runCli(argv: readonly string[], io: CliIo, deps?: RunnerDeps): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    println(name === undefined ? io.stderr : io.stdout, mainHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    println(io.stderr, `project88-sync: unknown command "${name}"\n\n${mainHelp()}`);
    return EXIT_USAGE;
  }
  try {
    const parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
    if (parsed.values.help === true) {
      println(io.stdout, commandHelp(command));
      return EXIT_OK;
    }
    if (parsed.positionals.length !== command.positionals) {
      throw new UsageError(
        `expected ${command.positionals === 0 ? "no" : command.positionals} argument(s), got ${parsed.positionals.length}`,
      );
    }
    const ctx: CommandContext = {
      name: command.name,
      io,
      deps: deps ?? (await import("./default-deps.js")).defaultDeps,
      values: parsed.values as CommandContext["values"],
      positionals: parsed.positionals,
    };
    return await command.run(ctx);
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      println(io.stderr, `project88-sync ${name}: ${lockedMessage(error, name)}`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      println(io.stderr, `project88-sync ${name}: ${error.message}`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      println(
        io.stderr,
        `project88-sync ${name}: ${(error as Error).message}\nUsage: ${command.usage}\nRun \`project88-sync ${name} --help\` for the options.`,
      );
      return EXIT_USAGE;
    }
    // Library errors never carry a secret; anything else is reported by name and message only.
    const label =
      error instanceof SyncError
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    println(io.stderr, `project88-sync ${name}: failed: ${label}`);
    return EXIT_FAILED;
  }
}
