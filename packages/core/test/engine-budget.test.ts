import { describe, expect, it } from "vitest";
import { createMemoryStore, createScriptedAdapter, generateDataset, ManualClock, type ScriptedCall } from "@project88/core/testing";
import { connection, createHarness, settle } from "./engine-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Most calls inside any rolling hour. */
function maxRollingHour(calls: readonly ScriptedCall[]): number {
  const times = calls.map((c) => c.at.getTime()).sort((a, b) => a - b);
  let lo = 0;
  let best = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] as number) - (times[lo] as number) >= HOUR) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** 30 races of 2 events each (60 events), starting 5 h to 6 h 18 min after `t0`. */
function raceMorning(t0: Date) {
  return generateDataset({
    races: 30,
    base: new Date(t0.getTime() + 5 * HOUR),
    eventOffsetsMs: [0, 20 * MIN],
    raceSpacingMs: 2 * MIN,
    registrationsPerEvent: 5,
  });
}

describe("an over-budget race morning", () => {
  it("degrades fairly, says so with budget:over, coalesces each race into one call and keeps the budget", async () => {
    const t0 = new Date("2026-07-18T02:05:00Z");
    const data = raceMorning(t0);
    const h = createHarness({ start: t0, dataset: data, pollMs: 30_000 });
    await h.engine.start();
    // Backfills happen while the events are in medium; from t0 + 2h18m all 60 are in high.
    await h.clock.advance(3.5 * HOUR);
    await settle(h.clock, h.engine.stop());

    // Coalescing: once both events of a race are in high, every request names both of them.
    const eventsOf = new Map(data.races.map((r) => [r.raceId, r.events.map((e) => e.eventId).sort()]));
    const steady = h.adapter.calls.filter((c) => c.kind !== "listRaces" && c.at.getTime() >= t0.getTime() + 2.5 * HOUR);
    expect(steady.length).toBeGreaterThan(500);
    for (const call of steady) {
      expect([...call.eventIds].sort()).toEqual(eventsOf.get(call.raceId as string));
    }
    // The budget holds: no rolling hour over 1000 calls, never more than 2 in flight.
    expect(maxRollingHour(h.adapter.calls)).toBeLessThanOrEqual(1000);
    expect(maxRollingHour(h.adapter.calls)).toBeGreaterThan(900); // and it is used, not wasted
    expect(h.adapter.maxInFlight).toBeLessThanOrEqual(2);

    // It says so.
    const over = h.events("budget:over");
    expect(over.length).toBeGreaterThan(0);
    expect(over[0]?.neededCalls).toBeGreaterThan(over[0]?.availableCalls ?? Infinity);
    expect(over[0]?.deferred.length).toBeGreaterThan(0);
    expect(h.events("schedule:late").length).toBeGreaterThan(0);

    // Fairness: in a steady hour with every event in high, the worst staleness is within 2x of the best.
    const from = t0.getTime() + 2.5 * HOUR;
    const to = t0.getTime() + 3.5 * HOUR;
    const syncs = new Map<string, number[]>();
    for (const entry of h.log) {
      if (entry.name !== "sync:start") continue;
      for (const id of (entry.payload as { eventIds: string[] }).eventIds) syncs.set(id, [...(syncs.get(id) ?? []), entry.at.getTime()]);
    }
    const staleness: number[] = [];
    for (const race of data.races) {
      for (const e of race.events) {
        const times = (syncs.get(e.eventId) ?? []).filter((t) => t >= from - 10 * MIN && t <= to);
        let worst = 0;
        for (let i = 1; i < times.length; i++)
          if ((times[i] as number) >= from) worst = Math.max(worst, (times[i] as number) - (times[i - 1] as number));
        worst = Math.max(worst, to - (times.at(-1) ?? from - 10 * MIN));
        staleness.push(worst);
      }
    }
    const worst = Math.max(...staleness);
    const best = Math.min(...staleness);
    expect(best).toBeGreaterThan(MIN); // it really is over budget: nobody gets the 1-minute tier
    expect(worst).toBeLessThanOrEqual(2 * best);
  }, 60_000);

  it("two engines sharing one store never exceed the shared budget together", async () => {
    const t0 = new Date("2026-07-18T03:05:00Z");
    const clock = new ManualClock(t0);
    const store = createMemoryStore();
    const adapter = createScriptedAdapter({ clock, dataset: raceMorning(t0), delayMs: 300 });
    const a = createHarness({ clock, store, adapter, owner: "engine-a", pollMs: 30_000 });
    const b = createHarness({ clock, store, adapter, owner: "engine-b", pollMs: 30_000 });
    await a.engine.start();
    await b.engine.start();
    await clock.advance(90 * MIN);
    await settle(clock, Promise.all([a.engine.stop(), b.engine.stop()]));
    expect(maxRollingHour(adapter.calls)).toBeLessThanOrEqual(1000);
    expect(adapter.maxInFlight).toBeLessThanOrEqual(2);
    // Both engines did work, and no event was synced by both at once (disjoint claims).
    expect(a.events("sync:finish").length).toBeGreaterThan(0);
    expect(b.events("sync:finish").length).toBeGreaterThan(0);
    expect(a.events("lease:lost")).toHaveLength(0);
    expect(b.events("lease:lost")).toHaveLength(0);
  }, 60_000);

  it("a saturated connection does not hold up another connection's races", async () => {
    const t0 = new Date("2026-07-18T02:05:00Z");
    const busy = raceMorning(t0);
    const quiet = generateDataset({ races: 1, base: new Date(t0.getTime() + 5 * HOUR), registrationsPerEvent: 3 });
    const quietRace = {
      ...quiet.races[0]!,
      raceId: "q1",
      visibleTo: ["c2"],
      events: quiet.races[0]!.events.map((e) => ({ ...e, raceId: "q1", eventId: "q5000" })),
    };
    const busyRaces = busy.races.map((r) => ({ ...r, visibleTo: ["c1"] }));
    const h = createHarness({
      start: t0,
      dataset: { races: [...busyRaces, quietRace], registrations: busy.registrations },
      pollMs: 30_000,
      connections: [connection("c1"), connection("c2")],
    });
    await h.engine.start();
    await h.clock.advance(3.5 * HOUR);
    await settle(h.clock, h.engine.stop());
    expect(h.events("budget:over").some((e) => e.connectionId === "c1")).toBe(true);
    const quietSyncs = h.log
      .filter((e) => e.name === "sync:start" && (e.payload as { raceId: string }).raceId === "q1")
      .map((e) => e.at.getTime())
      .filter((t) => t >= t0.getTime() + HOUR);
    expect(quietSyncs.length).toBeGreaterThan(140);
    for (let i = 1; i < quietSyncs.length; i++) expect((quietSyncs[i] as number) - (quietSyncs[i - 1] as number)).toBeLessThanOrEqual(MIN);
  }, 60_000);
});
