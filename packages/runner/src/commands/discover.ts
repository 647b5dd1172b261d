import { EXIT_FAILED, EXIT_OK } from "../io.js";
import { COMMON_HELP, COMMON_OPTIONS, UsageError, type Command } from "./command.js";
import { commandLogger, loadCommandConfig, withRuntime } from "./common.js";

export const discoverCommand: Command = {
  name: "discover",
  summary: "list every race and event the connections can see now, and queue new events",
  usage: "project88-sync discover [--config PATH] [--connection ID]...",
  options: { ...COMMON_OPTIONS, connection: { type: "string", multiple: true } },
  help: { ...COMMON_HELP, connection: "only this connection (repeatable)" },
  positionals: 0,
  async run(ctx) {
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config);
    const wanted = (ctx.values.connection as unknown as string[] | undefined) ?? [];
    const unknown = wanted.filter((id) => !config.connections.some((c) => c.id === id));
    if (unknown.length > 0) {
      throw new UsageError(`unknown connection ${unknown.map((id) => `"${id}"`).join(", ")}`);
    }
    return withRuntime(ctx, config, logger, { migrate: false }, async ({ engine }) => {
      let failed = 0;
      const onFinish = (e: { error: unknown }) => {
        if (e.error) failed += 1;
      };
      // A paused connection is skipped, not discovered: the run did not do what was asked.
      const onSkipped = () => {
        failed += 1;
      };
      engine.on("discovery:finish", onFinish);
      engine.on("discovery:skipped", onSkipped);
      try {
        await engine.discover(wanted.length > 0 ? { connectionIds: wanted } : {});
      } finally {
        engine.off("discovery:finish", onFinish);
        engine.off("discovery:skipped", onSkipped);
      }
      return failed > 0 ? EXIT_FAILED : EXIT_OK;
    });
  },
};
