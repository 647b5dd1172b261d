import { describe, expect, it } from "vitest";
import { resolveSchedule, type SyncEvent } from "@project88/core";
import { nextBoundary, scheduleAfter, tierAt } from "../src/policy.js";
import { createHarness } from "./engine-harness.js";

const schedule = resolveSchedule({});
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A two-day virtual event: starts Saturday 08:00 UTC, ends Sunday 20:00 UTC. */
const startsAt = new Date("2026-07-18T08:00:00Z");
const endsAt = new Date("2026-07-19T20:00:00Z");
const timing = { startsAt, endsAt };
const at = (iso: string) => new Date(iso);

describe("an event with an end stays in the high tier until an hour after its end", () => {
  it("tierAt, nextBoundary and scheduleAfter follow the end, not the start", () => {
    expect(tierAt(timing, at("2026-07-18T03:59:59Z"), schedule).name).toBe("medium");
    expect(tierAt(timing, at("2026-07-18T04:00:00Z"), schedule).name).toBe("high");
    // An hour after the start is not the end of it.
    expect(tierAt(timing, at("2026-07-18T09:00:00Z"), schedule).name).toBe("high");
    expect(tierAt(timing, at("2026-07-19T20:59:59Z"), schedule).name).toBe("high");
    expect(tierAt(timing, at("2026-07-19T21:00:00Z"), schedule).name).toBe("done");
    expect(nextBoundary(timing, at("2026-07-18T09:00:00Z"), schedule)).toEqual(at("2026-07-19T21:00:00Z"));
    expect(scheduleAfter(timing, at("2026-07-18T09:00:00Z"), schedule)).toEqual({
      tier: "high",
      priority: 0,
      nextDueAt: at("2026-07-18T09:01:00Z"),
    });
    // An end before the start (bad provider data) never ends syncing earlier than the start does.
    expect(tierAt({ startsAt, endsAt: at("2026-07-17T00:00:00Z") }, at("2026-07-18T08:59:59Z"), schedule).name).toBe("high");
    // Without an end, the start still rules.
    expect(tierAt({ startsAt, endsAt: null }, at("2026-07-18T09:00:00Z"), schedule).name).toBe("done");
  });

  it("the engine keeps syncing every minute through the event, reconciles once after its end, then stops", async () => {
    const event: SyncEvent = { provider: "scripted", eventId: "8", raceId: "80", name: "Virtual 50K", startsAt, endsAt, raw: {} };
    const h = createHarness({
      start: "2026-07-19T19:00:00Z",
      pollMs: 30_000,
      // Discovery looks back far enough to list an event that started yesterday.
      schedule: { discoveryLookBehindMs: 3 * 24 * HOUR },
      dataset: {
        races: [
          {
            provider: "scripted",
            raceId: "80",
            name: "Virtual Weekend",
            timezone: "UTC",
            nextDate: "2026-07-18",
            raw: {},
            events: [event],
          },
        ],
      },
    });
    await h.engine.start();
    await h.clock.advanceTo(at("2026-07-19T22:00:00Z"));
    await h.engine.stop();
    const starts = h.log
      .filter((e) => e.name === "sync:start")
      .map((e) => ({ at: e.at.getTime(), kind: (e.payload as { kind: string }).kind }));
    const incremental = starts.filter((s) => s.kind === "incremental");
    // 20:00 to 21:00: one pass a minute (after the backfill at 19:00 and the first hour of them).
    expect(
      incremental.filter((s) => s.at >= at("2026-07-19T20:00:00Z").getTime() && s.at < at("2026-07-19T21:00:00Z").getTime()),
    ).toHaveLength(60);
    const afterEnd = starts.filter((s) => s.at >= at("2026-07-19T21:00:00Z").getTime());
    expect(afterEnd.map((s) => [new Date(s.at).toISOString(), s.kind])).toEqual([["2026-07-19T21:00:00.000Z", "reconcile"]]);
    const [stored] = await h.store.listEvents();
    expect(stored?.state.nextDueAt).toBeNull();
    expect((await h.engine.status()).events[0]?.tier).toBe("done");
  });
});
