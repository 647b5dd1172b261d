import { EXIT_OK } from "../io.js";
import { describeDatabase, storeArgs } from "../runtime.js";
import { COMMON_HELP, COMMON_OPTIONS, type Command } from "./command.js";
import { commandLogger, loadCommandConfig } from "./common.js";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "create or upgrade the database schema, then exit",
  usage: "project88-sync migrate [--config PATH]",
  options: { ...COMMON_OPTIONS },
  help: { ...COMMON_HELP },
  positionals: 0,
  async run(ctx) {
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config);
    logger.info(describeDatabase(config, ctx.io.cwd));
    const opened = await ctx.deps.openStore(storeArgs(config, ctx.io.cwd, { command: "project88-sync migrate", logger }));
    try {
      const result = await opened.migrate();
      logger.info(
        { applied: result.applied, version: result.version, schema: config.schema },
        result.applied.length > 0 ? "migrations applied" : "schema up to date",
      );
      return EXIT_OK;
    } finally {
      await opened.close();
    }
  },
};
