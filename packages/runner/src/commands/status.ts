import { DataDirLockedError } from "../data-dir-lock.js";
import { EXIT_OK } from "../io.js";
import { toStatusJson, type StatusJson } from "../status-json.js";
import { renderStatusText } from "../status-text.js";
import { COMMON_HELP, COMMON_OPTIONS, type Command } from "./command.js";
import { commandLogger, loadCommandConfig, withRuntime } from "./common.js";
import { remoteStatus } from "./remote.js";

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
    let doc: StatusJson;
    try {
      doc = await withRuntime(ctx, config, logger, { migrate: false }, async ({ engine }) => toStatusJson(await engine.status()));
    } catch (error) {
      // A running `start` holds the embedded database: ask it instead.
      if (!(error instanceof DataDirLockedError) || !error.owner.http) throw error;
      logger.info(
        { pid: error.owner.pid, url: error.owner.http },
        "the embedded database is in use; reading the running process's /status",
      );
      doc = await remoteStatus(error, config);
    }
    ctx.io.stdout.write(ctx.values.json ? `${JSON.stringify(doc, null, 2)}\n` : renderStatusText(doc, config.tierOrder));
    return EXIT_OK;
  },
};
