import { describe, expect, it } from "vitest";
import { resolveSchedule } from "@project88/core";
import { budgetHasRoom } from "../src/dispatch.js";
import { LATE_SHARE, readsWhole, removalsDueAfter, scheduleAfter } from "../src/policy.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const schedule = resolveSchedule({});
const start = new Date("2026-09-12T14:00:00Z");
const at = (iso: string) => new Date(iso);

describe("scheduleAfter: on the grid when on time, a full interval after a late pass or at a turn", () => {
  it("an on-time pass is next due at the next point of its tier's grid", () => {
    // High tier (start within 4 h), due 12:00:00, ran at 12:00:05.
    const next = scheduleAfter(start, at("2026-09-12T12:00:05Z"), schedule, at("2026-09-12T12:00:00Z"));
    expect(next.nextDueAt).toEqual(at("2026-09-12T12:01:00Z"));
  });

  it("a pass late by more than a quarter of the interval is next due one interval after it, not seconds later", () => {
    const ran = at("2026-09-12T12:00:50Z");
    const next = scheduleAfter(start, ran, schedule, at("2026-09-12T12:00:00Z"));
    expect(next.nextDueAt).toEqual(at("2026-09-12T12:01:50Z"));
    // At exactly the share it still counts as on time.
    const edge = new Date(at("2026-09-12T12:00:00Z").getTime() + MIN * LATE_SHARE);
    expect(scheduleAfter(start, edge, schedule, at("2026-09-12T12:00:00Z")).nextDueAt).toEqual(at("2026-09-12T12:01:00Z"));
  });

  it("a pass on time at a turn keeps its turn instead of falling due on the grid seconds later", () => {
    // Due 12:00:57 (a late pass at 11:59:57 set that turn), ran on time: the grid point 12:01:00
    // would be three seconds on.
    const next = scheduleAfter(start, at("2026-09-12T12:00:57Z"), schedule, at("2026-09-12T12:00:57Z"));
    expect(next.nextDueAt).toEqual(at("2026-09-12T12:01:57Z"));
  });

  it("a first pass, due whenever discovery said, takes its own turn", () => {
    // Low tier (4 h), discovered at 06:30: next due 10:30, not at the 08:00 grid point.
    const next = scheduleAfter(start, at("2026-09-11T06:30:02Z"), schedule, at("2026-09-11T06:30:00Z"));
    expect(next.nextDueAt).toEqual(at("2026-09-11T10:30:02Z"));
  });

  it("an event read early along with its race keeps the race's turn, in the tier it was due in", () => {
    // Due at the grid point 12:01:00, read at 12:00:40 with its race: not due again at 12:01:00.
    const onGrid = scheduleAfter(start, at("2026-09-12T12:00:40Z"), schedule, at("2026-09-12T12:01:00Z"));
    expect(onGrid.nextDueAt).toEqual(at("2026-09-12T12:01:40Z"));
    // Entering the high tier at 10:00:20 (start 14:00:20), read 25 s before: next due a minute
    // after the read, as a high-tier event, not again at the boundary.
    const later = new Date("2026-09-12T14:00:20Z");
    const entering = scheduleAfter(later, at("2026-09-12T09:59:55Z"), schedule, at("2026-09-12T10:00:20Z"));
    expect(entering).toMatchObject({ tier: "high", nextDueAt: at("2026-09-12T10:00:55Z") });
    // A manual sync long before the due instant is no ride along: the event keeps its tier.
    const manual = scheduleAfter(later, at("2026-09-12T08:00:05Z"), schedule, at("2026-09-12T10:00:20Z"));
    expect(manual).toMatchObject({ tier: "medium", nextDueAt: at("2026-09-12T08:15:00Z") });
  });

  it("a late pass is still never due after its next tier boundary", () => {
    // Medium tier (15 min); entering high at 10:00. Due 09:40, ran at 09:50 (late): 10:05 would pass the boundary.
    const next = scheduleAfter(start, at("2026-09-12T09:50:00Z"), schedule, at("2026-09-12T09:40:00Z"));
    expect(next.nextDueAt).toEqual(at("2026-09-12T10:00:00Z"));
  });
});

describe("removalsDueAfter without a fixed every-pass window (the default)", () => {
  it("keeps the cadence up to and after the start", () => {
    expect(schedule.removalsEveryPassWithinMs).toBe(0);
    expect(removalsDueAfter(start, at("2026-09-12T13:50:00Z"), schedule)).toEqual(at("2026-09-12T14:05:00Z"));
    expect(removalsDueAfter(start, at("2026-09-12T14:20:00Z"), schedule)).toEqual(at("2026-09-12T14:35:00Z"));
  });

  it("reads it with every pass inside the window when one is configured", () => {
    const windowed = resolveSchedule({ removalsEveryPassWithinMs: HOUR });
    expect(removalsDueAfter(start, at("2026-09-12T13:10:00Z"), windowed)).toBeNull();
    expect(removalsDueAfter(start, at("2026-09-12T12:50:00Z"), windowed)).toEqual(at("2026-09-12T13:00:00Z"));
  });
});

describe("readsWhole: which races one call reads whole", () => {
  it("a race within one page and the limit, with at least 10 registrations at the default vanish share", () => {
    expect(readsWhole(300, 2500, schedule)).toBe(true);
    expect(readsWhole(2000, 2500, schedule)).toBe(true);
    expect(readsWhole(10, 2500, schedule)).toBe(true);
  });

  it("not beyond the page or the limit, not a race so small that one refund reads as a truncated pull", () => {
    expect(readsWhole(2001, 2500, schedule)).toBe(false);
    expect(readsWhole(150, 100, schedule)).toBe(false);
    expect(readsWhole(9, 2500, schedule)).toBe(false);
  });

  it("never without the adapter's page size, nor when switched off", () => {
    expect(readsWhole(300, undefined, schedule)).toBe(false);
    expect(readsWhole(300, 2500, resolveSchedule({ wholePullMaxRows: 0 }))).toBe(false);
    expect(readsWhole(300, 2500, resolveSchedule({ maxVanishShare: 0 }))).toBe(false);
  });
});

describe("budgetHasRoom: whether a pass may spend a call on the removal feed", () => {
  const conn = { id: "c1", budgetKey: "k1", burst: 20, maxInFlight: 2 };
  it("a bucket at least half full has room; one near empty (the budget binds) has not", () => {
    expect(budgetHasRoom(conn, [{ key: "k1", tokens: 10, pausedUntil: null }])).toBe(true);
    expect(budgetHasRoom(conn, [{ key: "k1", tokens: 9.5, pausedUntil: null }])).toBe(false);
    // A key the store has not seen yet starts full.
    expect(budgetHasRoom(conn, [])).toBe(true);
  });
});
