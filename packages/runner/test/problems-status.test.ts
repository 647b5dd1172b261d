import { EventEmitter } from "node:events";
import type { EngineEvents } from "@project88/core";
import { describe, expect, it } from "vitest";
import { createMetrics, toStatusJson, type EngineEmitter } from "../src/index.js";
import { renderStatusText } from "../src/status-text.js";
import { engineStatus } from "./helpers.js";

const pass = { runId: "r1", connectionId: "acme", provider: "runsignup", raceId: "500", eventIds: ["1001"], kind: "backfill" as const };

describe("bad provider data in /metrics and /status", () => {
  it("counts nulled fields and skipped rows per connection, and skipped races of discovery", async () => {
    const emitter = new EventEmitter();
    const metrics = createMetrics();
    metrics.attach(emitter as unknown as EngineEmitter);
    const invalid: EngineEvents["sync:invalid"] = {
      ...pass,
      feed: "registrations",
      count: 3,
      skipped: 1,
      problems: [{ registrationId: null, eventId: "1001", field: "registrationId", reason: "missing", skipped: true }],
    };
    emitter.emit("sync:invalid", invalid);
    emitter.emit("sync:invalid", { ...invalid, count: 2, skipped: 0 });
    const skippedRace = {
      skipped: true as const,
      provider: "runsignup",
      raceId: "9",
      eventId: null,
      reason: 'unknown time zone "Mars/Base"',
    };
    emitter.emit("discovery:finish", {
      connectionId: "acme",
      provider: "runsignup",
      races: 1,
      newRaces: 0,
      newEvents: 0,
      changedEvents: 0,
      apiCalls: 1,
      durationMs: 5,
      error: null,
      skipped: [skippedRace],
    });
    const text = await metrics.render();
    expect(text).toContain('project88_sync_row_problems_total{connection="acme",kind="field"} 4');
    expect(text).toContain('project88_sync_row_problems_total{connection="acme",kind="skipped"} 1');
    expect(text).toContain('project88_sync_discovery_skipped_total{connection="acme"} 1');
  });

  it("lists recent passes with problems in the status document", () => {
    const startedAt = new Date("2026-06-13T07:58:00Z");
    const sample = [
      {
        registrationId: "77",
        eventId: "1001",
        field: "dob",
        reason: 'dob "0000-00-00" is not a calendar date (YYYY-MM-DD)',
        skipped: false,
      },
    ];
    const json = toStatusJson({ ...engineStatus(), problemRuns: [{ ...pass, runId: "42", startedAt, problems: 3, sample }] });
    const text = renderStatusText({ ...engineStatus(), problemRuns: [{ ...pass, runId: "42", startedAt, problems: 3, sample }] }, ["high"]);
    expect(text).toContain("Bad provider data in recent passes (1):\n  run 42 backfill race 500 (acme)");
    // The bad value is a date of birth: the status shows the registration and the problem, not the value.
    expect(text).toContain("3 problem(s), e.g. registration 77: dob [personal data removed] is not a calendar date");
    expect(text).not.toContain("0000-00-00");
    expect(renderStatusText(engineStatus(), ["high"])).not.toContain("Bad provider data");
    expect(json.problemRuns).toEqual([
      {
        runId: "42",
        connectionId: "acme",
        raceId: "500",
        eventIds: ["1001"],
        kind: "backfill",
        startedAt: startedAt.toISOString(),
        problems: 3,
        sample: [{ ...sample[0], reason: "dob [personal data removed] is not a calendar date (YYYY-MM-DD)" }],
      },
    ]);
  });
});
