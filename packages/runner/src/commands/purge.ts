import { EXIT_OK, println } from "../io.js";
import { COMMON_HELP, COMMON_OPTIONS, type Command } from "./command.js";
import { commandLogger, intFlag, loadCommandConfig, withRuntime } from "./common.js";

export const purgeCommand: Command = {
  name: "purge",
  summary: "anonymise registrations of events that ended more than retention.days ago, now",
  usage: "project88-sync purge [--days N] [--config PATH] [--no-migrate]",
  options: { ...COMMON_OPTIONS, days: { type: "string" }, "no-migrate": { type: "boolean" } },
  help: {
    ...COMMON_HELP,
    days: "keep personal data of events that ended at most this many days ago (default: retention.days of the configuration)",
    "no-migrate": "do not apply database migrations first",
  },
  positionals: 0,
  async run(ctx) {
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config);
    const days = ctx.values.days === undefined ? undefined : intFlag(ctx, "days", 0, 1, 36_500);
    return withRuntime(ctx, config, logger, { migrate: ctx.values["no-migrate"] !== true }, async ({ engine }) => {
      const result = await engine.purge(days === undefined ? {} : { days });
      const summary = `anonymised ${result.anonymised} registration(s) of events that ended before ${result.endedBefore.toISOString()} (${result.batches} batch(es))`;
      logger.info({ ...result }, summary);
      if (ctx.io.stdout.isTTY) println(ctx.io.stdout, summary);
      return EXIT_OK;
    });
  },
};
