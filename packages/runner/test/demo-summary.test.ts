import { describe, expect, it } from "vitest";
import { compareCounts, describeComparison } from "../src/demo/summary.js";
import { engineStatus, eventStatus } from "./helpers.js";

describe("the demo's closing count", () => {
  it("compares the same events on both sides and leaves out, by name, those never discovered", () => {
    const status = engineStatus([eventStatus({ eventId: "1", registrations: 100 }), eventStatus({ eventId: "2", registrations: 50 })]);
    const visible = new Map([
      ["1", 100],
      ["2", 50],
      ["3", 1_899],
      ["4", 1],
    ]);
    const c = compareCounts(status, { visible });
    expect(c).toMatchObject({ events: 2, stored: 150, atProvider: 150, undiscovered: { events: 2, registrations: 1_900 } });
    expect(describeComparison(c)).toEqual([
      "  registrations: 150 active in the database, 150 at the fake RunSignUp, in the same 2 events",
      "  not compared: 1,900 registrations in 2 events outside the discovery window (not synced by design)",
    ]);
  });

  it("says what each difference is", () => {
    const status = engineStatus([
      eventStatus({ eventId: "1", registrations: 100 }),
      eventStatus({ eventId: "2", registrations: 40, backfilled: false }),
      eventStatus({ eventId: "3", registrations: 70, tier: "done" }),
      eventStatus({ eventId: "4", registrations: 12 }),
    ]);
    const visible = new Map([
      ["1", 103],
      ["2", 60],
      ["3", 69],
      ["4", 12],
    ]);
    const lines = describeComparison(compareCounts(status, { visible }));
    expect(lines).toEqual([
      "  registrations: 222 active in the database, 244 at the fake RunSignUp, in the same 4 events",
      "  difference: the database has -22: -3 in 1 event changed at the fake since their last pass (the next scheduled pass brings them in); -20 in 1 event still backfilling; +1 in 1 event past their start, no longer synced",
    ]);
  });
});
