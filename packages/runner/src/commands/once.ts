import { EXIT_FAILED, EXIT_OK } from "../io.js";
import { COMMON_HELP, COMMON_OPTIONS, ENGINE_HELP, ENGINE_OPTIONS, type Command } from "./command.js";
import { commandLogger, durationFlag, loadCommandConfig, shouldMigrate, withRuntime } from "./common.js";
import { DEFAULT_SHUTDOWN_MS } from "./start.js";

export const onceCommand: Command = {
  name: "once",
  summary: "discover if due, drain all work that is due now, and exit (for cron)",
  usage: "project88-sync once [--config PATH] [--no-migrate]",
  options: { ...COMMON_OPTIONS, ...ENGINE_OPTIONS },
  help: { ...COMMON_HELP, ...ENGINE_HELP },
  positionals: 0,
  async run(ctx) {
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config);
    const timeoutMs = durationFlag(ctx, "shutdown-timeout", DEFAULT_SHUTDOWN_MS);
    // A signal stops the drain as it stops `start`: `engine.stop` ends claiming, the passes running
    // may finish (their pages commit whole), and the rest waits for the next run.
    return withRuntime(ctx, config, logger, { migrate: shouldMigrate(ctx) }, async ({ engine }) => {
      const onAbort = () => {
        logger.info({ timeoutMs }, "stopping: the page in flight may finish");
        void engine.stop({ timeoutMs });
      };
      ctx.io.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const result = await engine.runOnce();
        const totals = result.passes.reduce(
          (sum, p) => ({
            calls: sum.calls + p.apiCalls,
            inserted: sum.inserted + p.inserted,
            updated: sum.updated + p.updated,
            removed: sum.removed + p.removed,
          }),
          { calls: 0, inserted: 0, updated: 0, removed: 0 },
        );
        if (ctx.io.signal?.aborted) {
          logger.info({ passes: result.passes.length, ...totals }, "stopped before all due work was done; the next run continues it");
          return EXIT_OK;
        }
        const level = result.failed > 0 ? "error" : "info";
        logger[level]({ discovered: result.discovered, passes: result.passes.length, failed: result.failed, ...totals }, "once: done");
        return result.failed > 0 ? EXIT_FAILED : EXIT_OK;
      } finally {
        ctx.io.signal?.removeEventListener("abort", onAbort);
      }
    });
  },
};
