import type { EngineStatus } from "@project88/core";
import { afterEach, describe, expect, it } from "vitest";
import { createErrorLog, createMetrics, startHttpServer, toStatusJson, type RunnerHttpServer } from "../src/index.js";
import { renderStatusPage } from "../src/status-page.js";
import { renderStatusText } from "../src/status-text.js";
import { engineStatus, eventStatus } from "./helpers.js";

const ORDER = ["high", "medium", "low", "done"];
const DENIED = {
  name: "ForbiddenError",
  code: "FORBIDDEN",
  message: "[runsignup] race 500 participants: error 7 Permission Denied",
  retryable: false,
};
const SINCE = new Date("2026-06-13T11:00:00Z");

/** Race 500 is refused to acme and synced through zenith. */
function forbiddenStatus(): EngineStatus {
  const base = engineStatus([
    eventStatus({ connectionIds: ["acme", "zenith"], forbidden: [{ connectionId: "acme", since: SINCE, error: DENIED }] }),
  ]);
  const [acme, zenith] = base.connections;
  return {
    ...base,
    connections: [
      {
        ...acme!,
        forbiddenRaces: [
          {
            provider: "runsignup",
            raceId: "500",
            raceName: "Boulder Summer 10K",
            eventIds: ["1001"],
            since: SINCE,
            error: DENIED,
            rerouted: true,
          },
        ],
      },
      zenith!,
    ],
  };
}

describe("a forbidden race in the runner's status", () => {
  let server: RunnerHttpServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("is in /status JSON, on the page, in the status text and in /metrics", async () => {
    const status = forbiddenStatus();
    const json = toStatusJson(status);
    expect(json.events[0]?.forbiddenConnectionIds).toEqual(["acme"]);
    expect(json.connections[0]?.forbiddenRaces).toEqual([
      {
        provider: "runsignup",
        raceId: "500",
        raceName: "Boulder Summer 10K",
        eventIds: ["1001"],
        since: "2026-06-13T11:00:00.000Z",
        error: DENIED,
        rerouted: true,
      },
    ]);
    expect(json.connections[1]?.forbiddenRaces).toEqual([]);

    const text = renderStatusText(status, ORDER);
    expect(text).toContain(
      "FORBIDDEN race runsignup:500 Boulder Summer 10K since 2026-06-13T11:00:00.000Z (synced through another connection)",
    );
    expect(text).toContain("FORBIDDEN for acme");

    const html = renderStatusPage({ status, tierOrder: ORDER, recentErrors: [] });
    expect(html).toContain("forbidden for acme");
    expect(html).toMatch(/race 500 Boulder Summer 10K since 1h( 0m)? ago · synced through another connection/);

    server = await startHttpServer({
      port: 0,
      host: "127.0.0.1",
      status: () => Promise.resolve(status),
      metrics: createMetrics(),
      errors: createErrorLog(),
      tierOrder: ORDER,
      statusCacheMs: 0,
    });
    const metrics = await (await fetch(new URL("/metrics", server.url))).text();
    expect(metrics).toContain('project88_sync_forbidden_races{connection="acme"} 1');
    expect(metrics).toContain('project88_sync_forbidden_races{connection="zenith"} 0');
    const served = (await (await fetch(new URL("/status", server.url))).json()) as ReturnType<typeof toStatusJson>;
    expect(served.connections[0]?.forbiddenRaces[0]?.raceId).toBe("500");
  });
});
