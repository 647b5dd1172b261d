import { describe, expect, it } from "vitest";
import { generateDataset } from "@project88/core/testing";
import { connection, createHarness, settle } from "./engine-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("runOnce drains every event due when it began", () => {
  it("even when high-tier events fall due again while it runs (they come first in the claim order)", async () => {
    const t0 = new Date("2026-07-18T06:00:00Z");
    // Six races in the high tier (every minute) and one far-off race in the low tier (every 240 min).
    const high = generateDataset({ races: 6, base: new Date(t0.getTime() + 5 * HOUR), raceSpacingMs: MIN, registrationsPerEvent: 3 });
    const low = generateDataset({ seed: 9, races: 1, base: new Date(t0.getTime() + 30 * 24 * HOUR), registrationsPerEvent: 3 });
    const farRace = low.races[0]!.raceId;
    const farId = `${farRace}-far`;
    const dataset = {
      races: [
        ...high.races,
        {
          ...low.races[0]!,
          raceId: farId,
          events: low.races[0]!.events.map((e) => ({ ...e, raceId: farId, eventId: `${e.eventId}-far` })),
        },
      ],
      registrations: [
        ...high.registrations,
        ...low.registrations.map((r) => ({ ...r, raceId: farId, eventId: `${r.eventId}-far`, registrationId: `${r.registrationId}-far` })),
      ],
    };
    const h = createHarness({ start: t0, dataset, connections: [connection("c1", { maxInFlight: 1 })] });
    await settle(h.clock, h.engine.runOnce());
    // Four hours later every event is due; each request now takes 20 s, so the high-tier events
    // fall due again (every minute) long before this run has reached the low-tier race.
    await h.clock.advance(4 * HOUR + MIN);
    h.adapter.setDelay(20_000);
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.failed).toBe(0);
    expect(result.passes.map((p) => p.raceId)).toContain(farId);
    // Each race was synced once: events that fell due after the run began wait for the next run.
    expect(result.passes).toHaveLength(7);
  });
});
