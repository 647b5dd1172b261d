import { EXIT_OK } from "../io.js";
import { toStatusJson } from "../status-json.js";
import { renderStatusText } from "../status-text.js";
import { COMMON_HELP, COMMON_OPTIONS, type Command } from "./command.js";
import { commandLogger, loadCommandConfig, withRuntime } from "./common.js";

export const statusCommand: Command = {
  name: "status",
  summary: "print every event's tier, last and next sync, registrations, and each connection's budget",
  usage: "project88-sync status [--json] [--config PATH]",
  options: { ...COMMON_OPTIONS, json: { type: "boolean" } },
  help: { ...COMMON_HELP, json: "print JSON (the same document as GET /status)" },
  positionals: 0,
  async run(ctx) {
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config, { quiet: true });
    return withRuntime(ctx, config, logger, { migrate: false }, async ({ engine }) => {
      const status = await engine.status();
      ctx.io.stdout.write(ctx.values.json ? `${JSON.stringify(toStatusJson(status), null, 2)}\n` : renderStatusText(status, config.tierOrder));
      return EXIT_OK;
    });
  },
};
