import type { EngineStatus } from "@project88/core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RequestObservation } from "./deps.js";
import type { EngineEmitter } from "./logging.js";

/** The runner's Prometheus metrics: counters fed by engine events, gauges refreshed from status. */
export interface RunnerMetrics {
  readonly registry: Registry;
  /** Subscribes to the engine's events; returns the detach function. */
  attach(engine: EngineEmitter): () => void;
  /** Counts one HTTP request an adapter made (fed by the adapter's request hook). */
  observeRequest(info: RequestObservation): void;
  /** Refreshes the gauges that come from `engine.status()` (called before each scrape). */
  updateFromStatus(status: EngineStatus): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * Creates a registry of its own (never prom-client's global one), so two runners in one process,
 * as in tests, do not collide. Labels carry connection ids, tiers and codes: never a secret.
 */
export function createMetrics(options: { readonly prefix?: string } = {}): RunnerMetrics {
  const p = options.prefix ?? "project88_sync_";
  const registry = new Registry();
  const registers = [registry];

  const apiCalls = new Counter({
    name: `${p}api_calls_total`,
    help: "API calls made, per connection and purpose.",
    labelNames: ["connection", "purpose"],
    registers,
  });
  const apiErrors = new Counter({
    name: `${p}api_errors_total`,
    help: "Failed passes and discoveries, per connection and error code.",
    labelNames: ["connection", "code"],
    registers,
  });
  const passes = new Counter({
    name: `${p}passes_total`,
    help: "Sync passes finished, per connection, kind and result.",
    labelNames: ["connection", "kind", "result"],
    registers,
  });
  const rows = new Counter({
    name: `${p}rows_written_total`,
    help: "Registration rows by what the store did with them.",
    labelNames: ["kind"],
    registers,
  });
  const duration = new Histogram({
    name: `${p}sync_duration_seconds`,
    help: "Duration of successful sync passes.",
    labelNames: ["kind"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const rowProblems = new Counter({
    name: `${p}row_problems_total`,
    help: "Bad provider data on committed pages: fields stored as null (kind=field) and rows not stored (kind=skipped).",
    labelNames: ["connection", "kind"],
    registers,
  });
  const discoverySkipped = new Counter({
    name: `${p}discovery_skipped_total`,
    help: "Races and events discovery could not read and skipped.",
    labelNames: ["connection"],
    registers,
  });
  const throttled = new Counter({
    name: `${p}budget_throttled_total`,
    help: "Times a connection's budget was paused by the provider.",
    labelNames: ["connection"],
    registers,
  });
  const engineErrors = new Counter({
    name: `${p}engine_errors_total`,
    help: "Errors the engine recovered from on its own (a store outage in the claim loop, say), per phase.",
    labelNames: ["phase"],
    registers,
  });
  const overBudget = new Counter({
    name: `${p}budget_over_total`,
    help: "Rounds whose due work exceeded a connection's budget.",
    labelNames: ["connection"],
    registers,
  });
  const tokens = new Gauge({
    name: `${p}budget_tokens`,
    help: "Call tokens left in a connection's bucket.",
    labelNames: ["connection"],
    registers,
  });
  const callsLastHour = new Gauge({
    name: `${p}budget_calls_last_hour`,
    help: "Calls granted to a connection in the last hour.",
    labelNames: ["connection"],
    registers,
  });
  const callsPerHour = new Gauge({
    name: `${p}budget_calls_per_hour`,
    help: "A connection's hourly call budget.",
    labelNames: ["connection"],
    registers,
  });
  const inFlight = new Gauge({
    name: `${p}budget_in_flight`,
    help: "Requests in flight per connection.",
    labelNames: ["connection"],
    registers,
  });
  const paused = new Gauge({
    name: `${p}budget_paused`,
    help: "1 while a connection's budget is paused.",
    labelNames: ["connection"],
    registers,
  });
  const forbiddenRaces = new Gauge({
    name: `${p}forbidden_races`,
    help: "Races the provider refuses to a connection's credentials (permission denied), until discovery sees them again.",
    labelNames: ["connection"],
    registers,
  });
  const eventsByTier = new Gauge({ name: `${p}events`, help: "Known events per scheduling tier.", labelNames: ["tier"], registers });
  const lateEvents = new Gauge({ name: `${p}late_events`, help: "Events whose sync is later than their tier allows.", registers });
  const registrations = new Gauge({ name: `${p}registrations`, help: "Active registrations stored across all events.", registers });
  /** Connection ids the per-connection gauges were last set for. */
  let shown = new Set<string>();
  const clockSkew = new Gauge({
    name: `${p}clock_skew_seconds`,
    help: "This host's clock minus another's (provider: per connection, from its Date header; database: connection=\"\"), positive when this host runs ahead.",
    labelNames: ["connection", "against"],
    registers,
  });
  const lastDiscovery = new Gauge({
    name: `${p}last_discovery_timestamp_seconds`,
    help: "When each connection's last discovery finished (Unix time).",
    labelNames: ["connection"],
    registers,
  });
  const requests = new Counter({
    name: `${p}http_requests_total`,
    help: "HTTP requests to providers, per connection, status and outcome (error includes provider errors sent with HTTP 200).",
    labelNames: ["connection", "status", "outcome"],
    registers,
  });
  const requestSeconds = new Histogram({
    name: `${p}http_request_duration_seconds`,
    help: "Duration of HTTP requests to providers.",
    labelNames: ["connection"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const running = new Gauge({ name: `${p}engine_running`, help: "1 while the engine's loop runs.", registers });

  return {
    registry,
    contentType: registry.contentType,
    attach(engine) {
      const onPage = (e: { inserted: number; updated: number; unchanged: number; removed: number }) => {
        rows.inc({ kind: "inserted" }, e.inserted);
        rows.inc({ kind: "updated" }, e.updated);
        rows.inc({ kind: "unchanged" }, e.unchanged);
        rows.inc({ kind: "removed" }, e.removed);
      };
      const onFinish = (e: { connectionId: string; kind: string; apiCalls: number; vanished: number; durationMs: number }) => {
        apiCalls.inc({ connection: e.connectionId, purpose: "sync" }, e.apiCalls);
        rows.inc({ kind: "vanished" }, e.vanished);
        passes.inc({ connection: e.connectionId, kind: e.kind, result: "ok" });
        duration.observe({ kind: e.kind }, e.durationMs / 1000);
      };
      const onError = (e: { connectionId: string; kind: string; error: { code: string } }) => {
        apiErrors.inc({ connection: e.connectionId, code: e.error.code });
        passes.inc({ connection: e.connectionId, kind: e.kind, result: "failed" });
      };
      const onDiscovery = (e: { connectionId: string; apiCalls: number; error: { code: string } | null; skipped: readonly unknown[] }) => {
        apiCalls.inc({ connection: e.connectionId, purpose: "discovery" }, e.apiCalls);
        if (e.error) apiErrors.inc({ connection: e.connectionId, code: e.error.code });
        if ((e.skipped?.length ?? 0) > 0) discoverySkipped.inc({ connection: e.connectionId }, e.skipped.length);
      };
      const onInvalid = (e: { connectionId: string; count: number; skipped: number }) => {
        if (e.count > e.skipped) rowProblems.inc({ connection: e.connectionId, kind: "field" }, e.count - e.skipped);
        if (e.skipped > 0) rowProblems.inc({ connection: e.connectionId, kind: "skipped" }, e.skipped);
      };
      const onThrottled = (e: { connectionId: string }) => throttled.inc({ connection: e.connectionId });
      const onOver = (e: { connectionId: string }) => overBudget.inc({ connection: e.connectionId });
      const onEngineError = (e: { phase: string }) => engineErrors.inc({ phase: e.phase });
      engine.on("sync:page", onPage);
      engine.on("sync:finish", onFinish);
      engine.on("sync:error", onError);
      engine.on("sync:invalid", onInvalid);
      engine.on("discovery:finish", onDiscovery);
      engine.on("budget:throttled", onThrottled);
      engine.on("budget:over", onOver);
      engine.on("engine:error", onEngineError);
      return () => {
        engine.off("sync:page", onPage);
        engine.off("sync:finish", onFinish);
        engine.off("sync:error", onError);
        engine.off("sync:invalid", onInvalid);
        engine.off("discovery:finish", onDiscovery);
        engine.off("budget:throttled", onThrottled);
        engine.off("budget:over", onOver);
        engine.off("engine:error", onEngineError);
      };
    },
    observeRequest(info) {
      const status = info.status === null ? "none" : String(info.status);
      requests.inc({ connection: info.connectionId, status, outcome: info.error === null ? "ok" : "error" });
      requestSeconds.observe({ connection: info.connectionId }, info.durationMs / 1000);
    },
    updateFromStatus(status) {
      running.set(status.running ? 1 : 0);
      // A connection removed by a configuration reload drops out of the per-connection gauges
      // rather than showing its last values forever.
      const current = new Set(status.connections.map((c) => c.id));
      for (const id of shown) {
        if (current.has(id)) continue;
        for (const gauge of [tokens, callsLastHour, callsPerHour, inFlight, paused, lastDiscovery]) gauge.remove({ connection: id });
      }
      shown = current;
      for (const c of status.connections) {
        const labels = { connection: c.id };
        tokens.set(labels, c.tokens);
        callsLastHour.set(labels, c.callsLastHour);
        callsPerHour.set(labels, c.callsPerHour);
        inFlight.set(labels, c.inFlight);
        paused.set(labels, c.pausedUntil && c.pausedUntil > status.now ? 1 : 0);
        forbiddenRaces.set(labels, c.forbiddenRaces.length);
        const finished = c.lastDiscovery?.finishedAt;
        if (finished) lastDiscovery.set(labels, finished.getTime() / 1000);
        if (typeof c.clockSkewMs === "number") clockSkew.set({ connection: c.id, against: "provider" }, c.clockSkewMs / 1000);
      }
      if (typeof status.databaseClockSkewMs === "number")
        clockSkew.set({ connection: "", against: "database" }, status.databaseClockSkewMs / 1000);
      // The status lists the working set; finished events are counted by the store's summary.
      eventsByTier.reset();
      eventsByTier.set({ tier: "done" }, status.summary.done);
      let late = 0;
      for (const e of status.events) {
        if (e.nextSyncAt !== null) eventsByTier.inc({ tier: e.tier });
        if (e.late) late += 1;
      }
      lateEvents.set(late);
      registrations.set(status.summary.activeRegistrations);
    },
    render: () => registry.metrics(),
  };
}
