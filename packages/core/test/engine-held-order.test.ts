import { generateDataset } from "@project88/core/testing";
import { describe, expect, it } from "vitest";
import { connection, createHarness, settle } from "./engine-harness.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = new Date("2026-07-01T00:00:00Z");

/**
 * Four one-event races that only connection c1 sees (2 in-flight slots); c2 sees nothing but
 * has room, so one claim takes all four races: the two long ones start on c1 and the other two
 * wait in c1's hold. Starts (from T0): the long races in 2 h (high tier), `crossing` in 4 h 10 min
 * (medium, high from T0 + 10 min), `other` in `otherStartsIn`.
 */
function heldWorld(otherStartsIn: number) {
  const data = generateDataset({ races: 4, base: T0, registrationsPerEvent: 3 });
  const startsIn = [2 * HOUR, 2 * HOUR, 4 * HOUR + 10 * MINUTE, otherStartsIn];
  const races = data.races.map((race, i) => ({
    ...race,
    visibleTo: ["c1"],
    events: race.events.map((e) => ({ ...e, startsAt: new Date(T0.getTime() + (startsIn[i] ?? 0)) })),
  }));
  const h = createHarness({
    start: T0,
    dataset: { races, registrations: data.registrations },
    connections: [connection("c1", { maxInFlight: 2 }), connection("c2", { maxInFlight: 2 })],
  });
  const [long1, long2, crossing, other] = races.map((r) => r.raceId);
  return { h, long: [long1, long2] as string[], crossing: crossing as string, other: other as string };
}

/**
 * Backfills everything, then makes all four races due (`other` 2 min overdue, `crossing` 1 min,
 * the long ones 3 min so they are claimed first, `other` re-backfilled when `backfill`) and runs
 * once while the long races' requests take 20 minutes each: `crossing` enters the high tier while
 * held. Returns the races in the order their passes started.
 */
async function runHeld(w: ReturnType<typeof heldWorld>, backfill: boolean): Promise<string[]> {
  const { h, long, crossing, other } = w;
  await settle(h.clock, h.engine.runOnce());
  const events = await h.store.listEvents();
  expect(events.every((e) => e.state.backfilledAt !== null)).toBe(true);
  const now = h.clock.now().getTime();
  const dueAgo = new Map([
    [other, 2 * MINUTE],
    [crossing, MINUTE],
  ]);
  await h.store.updateSchedule({
    now: h.clock.now(),
    patches: events.map((e) => ({
      provider: e.provider,
      eventId: e.eventId,
      nextDueAt: new Date(now - (dueAgo.get(e.raceId) ?? 3 * MINUTE)),
      ...(backfill && e.raceId === other ? { backfilledAt: null, backfillAfter: null } : {}),
    })),
  });
  h.adapter.setDelay((call) => (call.raceId !== null && long.includes(call.raceId) ? 20 * MINUTE : 0));
  const before = h.events("sync:start").length;
  await settle(h.clock, h.engine.runOnce(), 10_000);
  const started = h
    .events("sync:start")
    .slice(before)
    .map((s) => s.raceId);
  expect(started.slice(0, 2).sort()).toEqual([...long].sort());
  return started.slice(2);
}

describe("held races", () => {
  it("the next held race is the most urgent by its tier now, not by the order it was claimed and held in", async () => {
    // `other` stays medium: claimed and held before `crossing` (more overdue, same stored tier),
    // it goes after it once `crossing` is in the high tier.
    const w = heldWorld(12 * HOUR);
    expect(await runHeld(w, false)).toEqual([w.crossing, w.other]);
  });

  it("a held backfill of an event in the most urgent tier ranks with that tier, the most overdue first", async () => {
    // `other` starts in 3 h and needs a backfill: priority 0 like the high tier, and more overdue
    // than `crossing`, so it goes first (ranked as a backfill after the high tier, it would not).
    const w = heldWorld(3 * HOUR);
    expect(await runHeld(w, true)).toEqual([w.other, w.crossing]);
  });
});
