import { describe, expect, it } from "vitest";
import { resolveSchedule, type SyncEvent } from "@project88/core";
import { currentPriority, nextBoundary, scheduleAfter, tierAt } from "../src/policy.js";
import { createHarness } from "./engine-harness.js";
import { zonedToUtc } from "./zoned.js";

const schedule = resolveSchedule({});
const MIN = 60_000;
const HOUR = 60 * MIN;

describe("tier policy on UTC instants", () => {
  const start = zonedToUtc("2026-07-18T08:30", "America/Denver");

  it("an 08:30 America/Denver start in July is 14:30 UTC and enters high at 10:30 UTC", () => {
    expect(start.toISOString()).toBe("2026-07-18T14:30:00.000Z");
    expect(tierAt(start, new Date("2026-07-18T10:29:59Z"), schedule).name).toBe("medium");
    expect(tierAt(start, new Date("2026-07-18T10:30:00Z"), schedule).name).toBe("high");
    expect(tierAt(start, new Date("2026-07-17T14:30:00Z"), schedule).name).toBe("medium");
    expect(tierAt(start, new Date("2026-07-17T14:29:59Z"), schedule).name).toBe("low");
    expect(tierAt(start, new Date("2026-07-18T15:29:59Z"), schedule).name).toBe("high");
    expect(tierAt(start, new Date("2026-07-18T15:30:00Z"), schedule).name).toBe("done");
  });

  it.each([
    ["a backfill of an event already in the most urgent tier: that tier's", "2026-07-18T11:00:00Z", false, 0],
    ["a backfill of an event in a later tier", "2026-07-18T10:29:59Z", false, 1],
    ["a backfill of a finished event", "2026-07-19T00:00:00Z", false, 1],
    ["high tier", "2026-07-18T10:30:00Z", true, 0],
    ["medium tier", "2026-07-18T10:29:59Z", true, 2],
    ["low tier", "2026-07-15T00:00:00Z", true, 3],
    ["the final reconciliation, last", "2026-07-18T15:30:00Z", true, 4],
  ] as const)("current priority: %s", (_label, at, backfilled, priority) => {
    expect(currentPriority(start, backfilled, new Date(at), schedule)).toBe(priority);
  });

  it("the next due instant is one interval later but never after the next boundary, where it takes the new tier's priority", () => {
    const at = new Date("2026-07-18T10:20:00Z");
    expect(nextBoundary(start, at, schedule)?.toISOString()).toBe("2026-07-18T10:30:00.000Z");
    // Due as it enters the high tier: claimed as high (0) then, not behind every high-tier event as medium (2).
    expect(scheduleAfter(start, at, schedule)).toEqual({ tier: "medium", priority: 0, nextDueAt: new Date("2026-07-18T10:30:00Z") });
    expect(scheduleAfter(start, new Date("2026-07-18T10:30:00Z"), schedule)).toEqual({
      tier: "high",
      priority: 0,
      nextDueAt: new Date("2026-07-18T10:31:00Z"),
    });
    expect(scheduleAfter(start, new Date("2026-07-15T00:00:00Z"), schedule).priority).toBe(3);
  });

  it("custom tiers keep the priority shape: most urgent 0, backfill 1, then the rest", () => {
    const custom = resolveSchedule({
      tiers: [
        { name: "hot", withinMs: HOUR, everyMs: 30_000 },
        { name: "warm", withinMs: 6 * HOUR, everyMs: 5 * MIN },
        { name: "cool", withinMs: 48 * HOUR, everyMs: HOUR },
        { name: "cold", everyMs: 12 * HOUR },
      ],
    });
    const s = new Date("2026-07-18T12:00:00Z");
    expect(scheduleAfter(s, new Date("2026-07-18T11:30:00Z"), custom).priority).toBe(0);
    expect(scheduleAfter(s, new Date("2026-07-18T08:00:00Z"), custom).priority).toBe(2);
    expect(scheduleAfter(s, new Date("2026-07-17T08:00:00Z"), custom).priority).toBe(3);
    expect(scheduleAfter(s, new Date("2026-07-10T08:00:00Z"), custom)).toMatchObject({ tier: "cold", priority: 4 });
  });

  it("the engine syncs the Denver event at 10:30:00 UTC sharp, then every minute", async () => {
    const event: SyncEvent = { provider: "scripted", eventId: "7", raceId: "70", name: "10K", startsAt: start, endsAt: null, raw: {} };
    const h = createHarness({
      start: "2026-07-18T09:00:00Z",
      pollMs: 30_000,
      dataset: {
        races: [
          {
            provider: "scripted",
            raceId: "70",
            name: "Denver 10K",
            timezone: "America/Denver",
            nextDate: "2026-07-18",
            raw: {},
            events: [event],
          },
        ],
      },
    });
    await h.engine.start();
    await h.clock.advanceTo(new Date("2026-07-18T10:33:30Z"));
    await h.engine.stop();
    const times = h.log.filter((e) => e.name === "sync:start").map((e) => e.at.toISOString());
    expect(times.filter((t) => t >= "2026-07-18T10:00:00Z")).toEqual([
      "2026-07-18T10:15:00.000Z",
      "2026-07-18T10:30:00.000Z",
      "2026-07-18T10:31:00.000Z",
      "2026-07-18T10:32:00.000Z",
      "2026-07-18T10:33:00.000Z",
    ]);
  });
});
