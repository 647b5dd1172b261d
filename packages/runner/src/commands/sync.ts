import { EXIT_FAILED, EXIT_OK, println } from "../io.js";
import { COMMON_HELP, COMMON_OPTIONS, UsageError, type Command } from "./command.js";
import { commandLogger, loadCommandConfig, withRuntime } from "./common.js";

/** Parses `provider:eventId`. */
export function parseEventRef(text: string | undefined): { provider: string; eventId: string } {
  const match = text === undefined ? null : /^([a-z][a-z0-9_-]*):(\S+)$/.exec(text);
  if (!match) throw new UsageError("expected <provider>:<eventId>, e.g. runsignup:123456");
  return { provider: match[1] as string, eventId: match[2] as string };
}

export const syncCommand: Command = {
  name: "sync",
  summary: "run one incremental (or --full) pass of one event now",
  usage: "project88-sync sync <provider>:<eventId> [--full] [--config PATH]",
  options: { ...COMMON_OPTIONS, full: { type: "boolean" } },
  help: { ...COMMON_HELP, full: "pull every registration, not only those modified since the last pass" },
  positionals: 1,
  async run(ctx) {
    const ref = parseEventRef(ctx.positionals[0]);
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config);
    return withRuntime(ctx, config, logger, { migrate: false }, async ({ engine }) => {
      const result = await engine.syncEvent(ref, { full: ctx.values.full === true });
      const summary = `${result.ok ? "ok" : "failed"}: ${result.kind} pass of ${ref.provider}:${ref.eventId} (race ${result.raceId}), ${result.apiCalls} calls, ${result.inserted} inserted, ${result.updated} updated, ${result.removed} removed, ${result.vanished} vanished`;
      if (!ctx.io.stdout.isTTY) logger[result.ok ? "info" : "error"]({ ...result }, summary);
      else println(ctx.io.stdout, result.error ? `${summary}\n  ${result.error.code}: ${result.error.message}` : summary);
      return result.ok ? EXIT_OK : EXIT_FAILED;
    });
  },
};
