import type { PlanReport } from "@project88/core";
import { DataDirLockedError } from "../data-dir-lock.js";
import { EXIT_OK } from "../io.js";
import { renderPlanText } from "../status-text.js";
import { COMMON_HELP, COMMON_OPTIONS, type Command } from "./command.js";
import { commandLogger, intFlag, loadCommandConfig, withRuntime } from "./common.js";
import { remotePlan } from "./remote.js";

export const planCommand: Command = {
  name: "plan",
  summary: "forecast API calls per connection per hour against the budget, and name the events that will be late",
  usage: "project88-sync plan [--hours N] [--json] [--config PATH]",
  options: { ...COMMON_OPTIONS, hours: { type: "string" }, json: { type: "boolean" } },
  help: { ...COMMON_HELP, hours: "hours to forecast (default 24, at most 168)", json: "print JSON" },
  positionals: 0,
  async run(ctx) {
    const hours = intFlag(ctx, "hours", 24, 1, 168);
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config, { quiet: true });
    let plan: PlanReport;
    try {
      plan = await withRuntime(ctx, config, logger, { migrate: false }, ({ engine }) => engine.plan(hours));
    } catch (error) {
      // A running `start` holds the embedded database: ask it instead.
      if (!(error instanceof DataDirLockedError) || !error.owner.http) throw error;
      plan = await remotePlan(error, config, hours);
    }
    ctx.io.stdout.write(ctx.values.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan));
    return EXIT_OK;
  },
};
