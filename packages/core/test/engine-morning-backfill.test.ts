import { describe, expect, it } from "vitest";
import { createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { connection, createHarness, settle } from "./engine-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const t0 = new Date("2026-07-01T00:00:00Z");

describe("a backfill of a race already in the most urgent tier", () => {
  it("starts on the urgent lane while the ordinary lane is taken by a long pass, instead of waiting for it", async () => {
    const clock = new ManualClock(t0);
    // Race 1000 starts in 10 days (low tier); race 1001 in 4 h 5 min, so it enters the high tier
    // 5 minutes in. Both need a backfill; 1000 goes first and each of its requests takes 30 min.
    const data = generateDataset({
      races: 2,
      base: new Date(t0.getTime() + 10 * DAY),
      raceSpacingMs: -(10 * DAY - (4 * HOUR + 5 * MIN)),
      registrationsPerEvent: 10,
    });
    const adapter = createScriptedAdapter({
      clock,
      dataset: data,
      delayMs: (call) => (call.raceId === "1000" && call.kind !== "listRaces" ? 30 * MIN : 0),
    });
    // One in-flight slot: one ordinary lane and one urgent lane.
    const h = createHarness({ clock, adapter, connections: [connection("c1", { maxInFlight: 1 })], pollMs: 1000 });
    const starts: { raceId: string; kind: string; at: number }[] = [];
    h.engine.on("sync:start", (p) => starts.push({ raceId: p.raceId, kind: p.kind, at: clock.now().getTime() - t0.getTime() }));
    await h.engine.start();
    for (let i = 0; i < 10 * 60; i++) await clock.advance(1_000);
    expect(starts.find((s) => s.raceId === "1000")).toMatchObject({ kind: "backfill" });
    const morning = starts.find((s) => s.raceId === "1001");
    expect(morning).toMatchObject({ kind: "backfill" });
    // It entered the high tier at 5 min and started within the next claim rounds, while race
    // 1000's first request (30 min) still held the ordinary lane.
    expect(morning?.at).toBeGreaterThanOrEqual(5 * MIN);
    expect(morning?.at).toBeLessThan(7 * MIN);
    await settle(clock, h.engine.stop({ timeoutMs: 5_000 }), 500, 100);
  });
});
