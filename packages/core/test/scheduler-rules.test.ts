import { describe, expect, it } from "vitest";
import { resolveSchedule } from "@project88/core";
import { latenessReports, passOrder } from "../src/scheduler-rules.js";
import type { StoredEvent } from "../src/store.js";
import { storedEvent } from "./stored-event.js";

const schedule = resolveSchedule({});
const start = new Date("2026-09-12T14:00:00Z");

function event(eventId: string, nextDueAt: Date | null, backfilled = true): StoredEvent {
  return storedEvent(eventId, start, { nextDueAt, backfilledAt: backfilled ? new Date("2026-09-01T00:00:00Z") : null });
}

describe("latenessReports: a pass later than its tier's interval is reported, with the tier it was due in", () => {
  it("reports only events late by more than the interval of the tier at their due instant", () => {
    const now = new Date("2026-09-12T12:10:00Z"); // high tier (every minute)
    const reports = latenessReports(
      [
        event("late", new Date("2026-09-12T12:08:30Z")), // 90 s late in the high tier
        event("onTime", new Date("2026-09-12T12:09:30Z")), // 30 s
        event("notDue", null),
        event("medium", new Date("2026-09-12T09:50:00Z")), // due as medium (every 15 min), 140 min late
        event("mediumSoon", new Date("2026-09-12T09:59:00Z")), // due as medium, high since 10:00: 131 min late
      ],
      now,
      schedule,
    );
    expect(reports.map((r) => [r.eventId, r.tier, r.lateByMs])).toEqual([
      ["late", "high", 90_000],
      ["medium", "medium", 8_400_000],
      ["mediumSoon", "medium", 7_860_000],
    ]);
  });

  it("names a late backfill as a backfill, whatever its tier", () => {
    const [report] = latenessReports([event("new", new Date("2026-09-12T12:00:00Z"), false)], new Date("2026-09-12T12:10:00Z"), schedule);
    expect(report).toMatchObject({ eventId: "new", tier: "backfill" });
  });
});

describe("passOrder: a race's backfill passes go after its short ones", () => {
  it("a backfilled high-tier event orders before a backfill of the same race", () => {
    const now = new Date("2026-09-12T12:00:00Z");
    expect(passOrder(event("short", now), now, schedule)).toBeLessThan(passOrder(event("whole", now, false), now, schedule));
  });
});
