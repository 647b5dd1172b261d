import { EventEmitter } from "node:events";
import type { EngineStatus } from "@project88/core";
import { afterEach, describe, expect, it } from "vitest";
import { createErrorLog, createMetrics, startHttpServer, type EngineEmitter, type RunnerHttpServer } from "../src/index.js";
import { engineStatus } from "./helpers.js";

const pass = { runId: "r1", connectionId: "acme", provider: "runsignup", raceId: "500", eventIds: ["1001"], kind: "incremental" as const };

describe("metrics and HTTP endpoints", () => {
  let server: RunnerHttpServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("counts engine events and exposes status gauges", async () => {
    const emitter = new EventEmitter();
    const metrics = createMetrics();
    metrics.attach(emitter as unknown as EngineEmitter);
    emitter.emit("sync:page", { ...pass, feed: "registrations", rows: 10, inserted: 7, updated: 2, unchanged: 1, removed: 0 });
    emitter.emit("sync:finish", {
      ...pass,
      apiCalls: 3,
      inserted: 7,
      updated: 2,
      unchanged: 1,
      removed: 0,
      vanished: 0,
      durationMs: 1500,
      cursorAt: new Date(),
    });
    emitter.emit("sync:error", {
      ...pass,
      error: { name: "ProviderError", code: "PROVIDER", message: "x", retryable: true },
      failures: 1,
      retryAt: null,
    });
    emitter.emit("discovery:finish", {
      connectionId: "acme",
      provider: "runsignup",
      races: 1,
      newRaces: 1,
      newEvents: 1,
      changedEvents: 0,
      apiCalls: 2,
      durationMs: 5,
      error: null,
      skipped: [],
    });
    emitter.emit("engine:error", {
      phase: "loop",
      error: { name: "StoreError", code: "STORE", message: "connection refused", retryable: true },
    });
    metrics.observeRequest({ connectionId: "acme", status: 200, durationMs: 120, error: null });
    metrics.observeRequest({ connectionId: "acme", status: 200, durationMs: 80, error: "[runsignup] error 14 throttled" });
    metrics.updateFromStatus(engineStatus());
    const text = await metrics.render();
    expect(text).toContain('project88_sync_api_calls_total{connection="acme",purpose="sync"} 3');
    expect(text).toContain('project88_sync_api_calls_total{connection="acme",purpose="discovery"} 2');
    expect(text).toContain('project88_sync_api_errors_total{connection="acme",code="PROVIDER"} 1');
    expect(text).toContain('project88_sync_rows_written_total{kind="inserted"} 7');
    expect(text).toContain('project88_sync_sync_duration_seconds_count{kind="incremental"} 1');
    expect(text).toContain('project88_sync_budget_tokens{connection="acme"} 17.5');
    expect(text).toContain('project88_sync_clock_skew_seconds{connection="acme",against="provider"} 0.8');
    expect(text).toContain('project88_sync_clock_skew_seconds{connection="",against="database"} 0.15');
    expect(text).not.toContain('project88_sync_clock_skew_seconds{connection="zenith"');
    expect(text).toContain('project88_sync_events{tier="high"} 1');
    expect(text).toContain("project88_sync_late_events 0");
    expect(text).toContain('project88_sync_engine_errors_total{phase="loop"} 1');
    expect(text).toContain('project88_sync_http_requests_total{connection="acme",status="200",outcome="ok"} 1');
    expect(text).toContain('project88_sync_http_requests_total{connection="acme",status="200",outcome="error"} 1');
    expect(text).toContain('project88_sync_last_discovery_timestamp_seconds{connection="acme"}');
    // A connection removed by a reload leaves the per-connection gauges; counters keep their history.
    const without = engineStatus();
    metrics.updateFromStatus({ ...without, connections: without.connections.filter((c) => c.id !== "acme") });
    const after = await metrics.render();
    expect(after).not.toContain('project88_sync_budget_tokens{connection="acme"}');
    expect(after).not.toContain('project88_sync_budget_paused{connection="acme"}');
    expect(after).toContain('project88_sync_api_calls_total{connection="acme",purpose="sync"} 3');
  });

  it("serves /healthz, /readyz, /metrics, /status and / over loopback", async () => {
    let status: EngineStatus = engineStatus();
    let fail = false;
    const emitter = new EventEmitter();
    const errors = createErrorLog();
    errors.attach(emitter as unknown as EngineEmitter);
    emitter.emit("sync:error", {
      ...pass,
      error: { name: "AuthError", code: "AUTH", message: "[runsignup] error 7 Permission Denied", retryable: false },
      failures: 2,
      retryAt: null,
    });
    server = await startHttpServer({
      port: 0,
      host: "127.0.0.1",
      status: () => (fail ? Promise.reject(new Error("connection refused")) : Promise.resolve(status)),
      metrics: createMetrics(),
      errors,
      tierOrder: ["high", "medium", "low", "done"],
      statusCacheMs: 0,
    });
    const get = (path: string) => fetch(new URL(path, server?.url));
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(200);
    const metrics = await get("/metrics");
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(await metrics.text()).toContain("project88_sync_engine_running 1");
    const json = (await (await get("/status")).json()) as { events: { eventId: string }[] };
    expect(json.events.map((e) => e.eventId)).toEqual(["1001"]);
    const page = await get("/");
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("Boulder Summer 10K");
    expect(html).toContain("Permission Denied");
    expect((await get("/nope")).status).toBe(404);

    // Not ready while the engine is stopped, nor while the database cannot answer; alive all along.
    status = { ...engineStatus(), running: false };
    expect((await get("/readyz")).status).toBe(503);
    fail = true;
    expect((await get("/readyz")).status).toBe(503);
    expect((await get("/healthz")).status).toBe(200);
  });

  it("answers /readyz from the cheap check without reading status, and serves /status and /metrics from one snapshot", async () => {
    let statusReads = 0;
    let ready: boolean | Error = true;
    server = await startHttpServer({
      port: 0,
      host: "127.0.0.1",
      status: () => {
        statusReads++;
        return Promise.resolve(engineStatus());
      },
      ready: () => (ready instanceof Error ? Promise.reject(ready) : Promise.resolve(ready)),
      metrics: createMetrics(),
      errors: createErrorLog(),
      tierOrder: ["high", "medium", "low", "done"],
      statusCacheMs: 60_000,
    });
    const get = (path: string) => fetch(new URL(path, server?.url));
    expect((await get("/readyz")).status).toBe(200);
    ready = false;
    expect(await (await get("/readyz")).text()).toBe("engine not running\n");
    ready = new Error("connection refused");
    expect(await (await get("/readyz")).text()).toBe("database unreachable\n");
    expect(statusReads).toBe(0);
    for (let i = 0; i < 5; i++) {
      expect((await get("/status")).status).toBe(200);
      expect((await get("/metrics")).status).toBe(200);
    }
    expect(statusReads).toBe(1);
    const json = (await (await get("/status")).json()) as { summary: { events: number; activeRegistrations: number } };
    expect(json.summary).toEqual({ events: 1, done: 0, activeRegistrations: engineStatus().summary.activeRegistrations });
  });
});
