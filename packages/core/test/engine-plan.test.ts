import { describe, expect, it } from "vitest";
import { generateDataset } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const HOUR = 3_600_000;

describe("plan", () => {
  it("forecasts calls per hour from the tier cadence, coalesced per race", async () => {
    const t0 = new Date("2026-07-01T06:30:00Z");
    const h = createHarness({
      start: t0,
      dataset: generateDataset({ races: 1, base: new Date(t0.getTime() + 30 * HOUR), eventOffsetsMs: [0, 0] }),
    });
    await settle(h.clock, h.engine.runOnce());
    const plan = await h.engine.plan(24);
    expect(plan.hours).toBe(24);
    const [conn] = plan.connections;
    expect(conn?.hours).toHaveLength(24);
    // In medium (from t0+6h): 4 passes an hour, each one registrations call for both events and the removal feed.
    expect(conn?.hours[10]?.calls).toBe(8);
    expect(conn?.hours.every((hour) => !hour.over && hour.budget === 1000)).toBe(true);
    expect(conn?.lateEvents).toEqual([]);
  });

  it("forecasts the removal feed at its own cadence, as the engine then runs it", async () => {
    const t0 = new Date("2026-07-01T06:00:00Z");
    // Medium tier every 15 min from t0+6h, the removal feed hourly: 4 passes an hour, one with removals.
    // The forecast counts the calls the schedule needs; reads made only because the budget has
    // room to spare (`removalsWithRoom`) are left out of it, and so out of this comparison.
    const schedule = { removalsEveryMs: HOUR, removalsWithRoom: false };
    const h = createHarness({
      start: t0,
      schedule,
      dataset: generateDataset({ races: 1, base: new Date(t0.getTime() + 30 * HOUR), eventOffsetsMs: [0] }),
    });
    await settle(h.clock, h.engine.runOnce());
    const plan = await h.engine.plan(20);
    const forecast = plan.connections[0]?.hours.map((hour) => hour.calls) ?? [];
    const sent = h.adapter.calls.length;
    await h.engine.start();
    await h.clock.advance(20 * HOUR);
    await h.engine.stop();
    const actual = new Array(20).fill(0);
    // Discovery (18:00 UTC) is outside the forecast: only sync calls are compared.
    for (const call of h.adapter.calls.slice(sent).filter((c) => c.kind !== "listRaces")) {
      const hour = Math.floor((call.at.getTime() - t0.getTime()) / HOUR);
      if (hour < 20) actual[hour]++;
    }
    expect(forecast.slice(7, 20)).toEqual(new Array(13).fill(5));
    expect(forecast).toEqual(actual);
  });

  it("names the least urgent events that will not fit on an over-budget morning", async () => {
    const t0 = new Date("2026-07-01T02:00:00Z");
    // 20 races due in high within 4 h, plus 20 far-away races in low: the high ones alone exceed 1000/h.
    const near = generateDataset({ races: 20, base: new Date(t0.getTime() + 3 * HOUR), registrationsPerEvent: 2 });
    const far = generateDataset({ races: 20, base: new Date(t0.getTime() + 10 * 24 * HOUR), registrationsPerEvent: 2 });
    const farRaces = far.races.map((r) => ({
      ...r,
      raceId: `f${r.raceId}`,
      events: r.events.map((e) => ({ ...e, raceId: `f${r.raceId}`, eventId: `f${e.eventId}` })),
    }));
    const h = createHarness({ start: t0, dataset: { races: [...near.races, ...farRaces], registrations: near.registrations } });
    await settle(h.clock, h.engine.runOnce());
    const plan = await h.engine.plan(4);
    const [conn] = plan.connections;
    expect(conn?.hours[1]?.calls).toBeGreaterThan(1000);
    expect(conn?.hours[1]?.over).toBe(true);
    const late = conn?.lateEvents ?? [];
    expect(late.length).toBeGreaterThan(0);
    // The least urgent go late first: every far (low-tier) event that runs in an over hour, and
    // only as many high-tier events as do not fit.
    const lowLate = late.filter((e) => e.tier === "low");
    expect(lowLate.length).toBeGreaterThan(0);
    for (const e of lowLate) expect(e.eventId.startsWith("f")).toBe(true);
    const highLate = late.filter((e) => e.tier === "high");
    expect(highLate.length).toBeGreaterThan(0);
    expect(highLate.length).toBeLessThan(20);
  });
});
