import { generateDataset } from "@project88/core/testing";
import { describe, expect, it } from "vitest";
import { createHarness, settle } from "./engine-harness.js";

describe("passes of one race", () => {
  it("a race runs its short high-tier pass before a backfill of another of its events", async () => {
    // One race, two events starting at 09:00: both in the high tier from 05:00.
    const h = createHarness({
      start: "2026-07-01T06:30:00Z",
      dataset: generateDataset({ races: 1, base: new Date("2026-07-01T09:00:00Z"), eventOffsetsMs: [0, 0] }),
    });
    await settle(h.clock, h.engine.runOnce());
    const events = await h.store.listEvents();
    expect(events.every((e) => e.state.backfilledAt !== null)).toBe(true);
    // Each event needs a different pass once: the first a backfill again, the second an incremental.
    for (const [i, backfill] of [true, false].entries()) {
      const e = events[i]!;
      await h.store.updateSchedule({
        now: h.clock.now(),
        patches: [
          {
            provider: e.provider,
            eventId: e.eventId,
            nextDueAt: h.clock.now(),
            ...(backfill ? { backfilledAt: null, backfillAfter: null } : {}),
          },
        ],
      });
    }
    const before = h.events("sync:start").length;
    await settle(h.clock, h.engine.runOnce());
    const kinds = h
      .events("sync:start")
      .slice(before)
      .map((s) => s.kind);
    expect(kinds).toEqual(["incremental", "backfill"]);
  });
});
