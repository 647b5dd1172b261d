import { Secret, type ScheduleInput } from "@project88/core";
import type { RunnerConfig } from "../config.js";
import { progressLine, progressView, trackProgress } from "../demo/progress.js";
import { startDemoProvider, type DemoProvider } from "../demo/provider.js";
import { compareCounts, describeComparison } from "../demo/summary.js";
import { formatDuration } from "../duration.js";
import type { RunnerHttpServer } from "../http.js";
import { EXIT_OK, println, whenAborted, type OutputStream } from "../io.js";
import type { Logger } from "../logging.js";
import { openRuntime, type Runtime } from "../runtime.js";
import { UsageError, type Command, type CommandContext } from "./command.js";
import { commandLogger, durationFlag, intFlag, shouldMigrate } from "./common.js";
import { DEFAULT_SHUTDOWN_MS, serveRuntime } from "./start.js";

/** A livelier schedule than production's, so a minute of demo shows incremental passes. */
export const DEMO_SCHEDULE: ScheduleInput = {
  tiers: [
    { name: "high", withinMs: 4 * 3_600_000, everyMs: 15_000 },
    { name: "medium", withinMs: 24 * 3_600_000, everyMs: 2 * 60_000 },
    { name: "low", everyMs: 60 * 60_000 },
  ],
};

async function serveWithFallback(runtime: Runtime, logger: Logger, port: number): Promise<RunnerHttpServer | null> {
  try {
    return await serveRuntime(runtime, logger, port, "127.0.0.1", "project88-sync demo");
  } catch (error) {
    // The default port may be taken by a running `start`; the demo should still come up.
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    return serveRuntime(runtime, logger, 0, "127.0.0.1", "project88-sync demo");
  }
}

function demoConfig(ctx: CommandContext, provider: DemoProvider, port: number): RunnerConfig {
  const url = ctx.io.env.DATABASE_URL;
  const databaseUrl = url ? new Secret(url) : null;
  return {
    databaseUrl,
    databaseSource: databaseUrl ? "DATABASE_URL" : "embedded",
    database: {},
    schema: typeof ctx.values.schema === "string" ? ctx.values.schema : "project88_demo",
    connections: provider.connections,
    schedule: DEMO_SCHEDULE,
    retention: null,
    tierOrder: ["high", "medium", "low", "done"],
    http: { port, host: "127.0.0.1", token: null },
    secrets: databaseUrl ? [...provider.secrets, databaseUrl] : provider.secrets,
  };
}

/** Redraws a block of lines in place on a TTY. */
function createScreen(out: OutputStream): { draw(lines: readonly string[]): void } {
  let previous = 0;
  return {
    draw(lines) {
      const width = Math.max(40, (out.columns ?? 120) - 1);
      const clipped = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
      out.write(`${previous > 0 ? `\x1b[${previous}F\x1b[J` : ""}${clipped.join("\n")}\n`);
      previous = clipped.length;
    },
  };
}

export const demoCommand: Command = {
  name: "demo",
  summary: "run the engine against a fake RunSignUp with a generated season (no credentials needed)",
  usage: "project88-sync demo [--duration 60s] [--port N] [--seed N]",
  options: {
    duration: { type: "string", short: "d" },
    port: { type: "string", short: "p" },
    seed: { type: "string" },
    "per-event": { type: "string" },
    "mutate-every": { type: "string" },
    schema: { type: "string" },
    "no-migrate": { type: "boolean" },
    "log-level": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  help: {
    duration: "stop by itself after this long and print a summary (default: run until Ctrl-C)",
    port: "HTTP port of the status page (default 9464, another free one if taken; 0 disables)",
    seed: "seed of the generated season (default 1)",
    "per-event": "average registrations per event (default 700: about 38,000 in all)",
    "mutate-every": "how often the fake's registrations change (default 3s)",
    schema: "schema when DATABASE_URL is set (default project88_demo)",
    "no-migrate": "do not apply database migrations first",
    "log-level": "log level (default: warn; info and debug show every pass)",
    help: "show this help",
  },
  positionals: 0,
  async run(ctx) {
    const durationMs = ctx.values.duration === undefined ? null : durationFlag(ctx, "duration", 0);
    if (durationMs !== null && durationMs <= 0) throw new UsageError("--duration must be longer than zero");
    const port = intFlag(ctx, "port", 9464, 0, 65_535);
    const seed = intFlag(ctx, "seed", 1, 0, 2 ** 31);
    const perEvent = intFlag(ctx, "per-event", 700, 1, 20_000);
    const mutateEvery = durationFlag(ctx, "mutate-every", 3_000);
    const out = ctx.io.stdout;
    const tty = out.isTTY === true;

    println(out, "project88-sync demo: starting a fake RunSignUp with a generated season...");
    const provider = await startDemoProvider({ seed, perEvent });
    const config = demoConfig(ctx, provider, port);
    const logger = commandLogger(
      { ...ctx, values: { ...ctx.values, "log-level": ctx.values["log-level"] ?? (tty ? "error" : "warn") } },
      config,
    );
    let runtime: Runtime | null = null;
    let server: RunnerHttpServer | null = null;
    try {
      runtime = await openRuntime({
        config,
        deps: ctx.deps,
        logger,
        cwd: ctx.io.cwd,
        migrate: shouldMigrate(ctx),
        inMemory: true,
        pollMs: 250,
      });
      server = port === 0 ? null : await serveWithFallback(runtime, logger, port);
      const { engine } = runtime;
      const tracker = trackProgress(engine);
      const started = Date.now();
      println(
        out,
        `fake RunSignUp: ${provider.url} (3 partners, ${provider.totalActive().toLocaleString("en-US")} registrations, changes every ${formatDuration(mutateEvery)})`,
      );
      println(
        out,
        config.databaseSource === "embedded"
          ? "database: embedded PGlite in memory (set DATABASE_URL to use PostgreSQL)"
          : `database: DATABASE_URL, schema "${config.schema}"`,
      );
      if (server) println(out, `status page: ${server.url}   metrics: ${server.url}metrics`);
      println(out, durationMs === null ? "press Ctrl-C to stop" : `stopping by itself after ${formatDuration(durationMs)}`);

      provider.startMutations(mutateEvery);
      await engine.start();
      const screen = createScreen(out);
      let latest: Awaited<ReturnType<typeof engine.status>> | null = null;
      const render = async () => {
        latest = await engine.status().catch(() => latest);
        const input = {
          elapsedMs: Date.now() - started,
          totals: tracker.totals,
          mutations: provider.mutations,
          status: latest,
          target: provider.activeCount,
          connections: config.connections.length,
        };
        if (tty) screen.draw(progressView(input));
        else println(out, progressLine(input));
      };
      const ticker = setInterval(() => void render(), tty ? 1_000 : 5_000);
      const stopTimer = new AbortController();
      const ended =
        durationMs === null
          ? new Promise<void>(() => undefined)
          : new Promise<void>((resolve) => setTimeout(resolve, durationMs, undefined));
      await Promise.race([whenAborted(ctx.io.signal), ended]);
      stopTimer.abort();
      clearInterval(ticker);
      await engine.stop({ timeoutMs: DEFAULT_SHUTDOWN_MS });
      await render();
      tracker.detach();

      const status = await engine.status();
      const counts = compareCounts(status, { visible: provider.visibleCounts() });
      const t = tracker.totals;
      println(out, "");
      println(out, `demo summary after ${formatDuration(Date.now() - started)}:`);
      println(
        out,
        `  events: ${status.events.filter((e) => e.backfilled).length}/${status.events.length} backfilled, ${status.events.filter((e) => e.late).length} late`,
      );
      for (const line of describeComparison(counts)) println(out, line);
      println(
        out,
        `  passes: ${t.passes.backfill} backfill, ${t.passes.incremental} incremental, ${t.passes.reconcile} reconcile, ${t.failedPasses} failed; ${t.apiCalls} API calls`,
      );
      println(
        out,
        `  rows: ${t.inserted} inserted, ${t.updated} updated, ${t.removed} removed by the removal feed, ${t.vanished} vanished from full pulls; provider changes: ${provider.mutations.registered} new, ${provider.mutations.modified} changed, ${provider.mutations.removed} refunded, ${provider.mutations.transferred} transferred`,
      );
      return EXIT_OK;
    } finally {
      await server?.close();
      await runtime?.close();
      await provider.close();
    }
  },
};
