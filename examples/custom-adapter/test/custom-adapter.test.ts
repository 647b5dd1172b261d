import { createSyncEngine, Secret } from "@project88/core";
import { createMemoryStore, runAdapterConformance } from "@project88/core/testing";
import { describe, expect, it } from "vitest";
import { createRaceNestAdapter } from "../src/adapter.js";
import { startFakeRaceNest } from "../src/fake-racenest.js";
import { wallClockToUtc } from "../src/zoned-time.js";
import { createRaceNestHarness } from "./harness.js";

runAdapterConformance({ describe, it, expect }, { createHarness: createRaceNestHarness, name: "RaceNest adapter conformance" });

describe("RaceNest adapter", () => {
  it("converts wall-clock starts across a DST change", () => {
    // 2026-03-08 is the US spring-forward day: 08:30 in Denver is MDT (UTC-6), the day before MST (UTC-7).
    expect(wallClockToUtc("2026-03-07T08:30", "America/Denver").toISOString()).toBe("2026-03-07T15:30:00.000Z");
    expect(wallClockToUtc("2026-03-08T08:30", "America/Denver").toISOString()).toBe("2026-03-08T14:30:00.000Z");
    expect(wallClockToUtc("2026-06-13T09:00", "Australia/Sydney").toISOString()).toBe("2026-06-12T23:00:00.000Z");
  });

  it("drives the engine end to end: discovery, backfill, an incremental pass with a cancellation", async () => {
    const fake = await startFakeRaceNest();
    fake.addToken("secret-token-123");
    // Within the hour before the start the removal feed runs with every pass. RaceNest starts are whole minutes.
    const start = new Date(Math.floor((Date.now() + 20 * 60_000) / 60_000) * 60_000);
    const event = fake.addEvent({
      title: "Harbour Half",
      tz: "Europe/London",
      races: [
        { label: "Half", startsAt: start },
        { label: "10K", startsAt: new Date(start.getTime() + 900_000) },
      ],
    });
    const ids = Array.from({ length: 25 }, (_, i) =>
      fake.addEntry(event.id, event.raceIds[i % 2] as string, {
        first: `F${i}`,
        last: `L${i}`,
        updatedAt: new Date(Date.now() - 86_400_000),
      }),
    );
    const store = createMemoryStore();
    const engine = createSyncEngine({
      adapters: [createRaceNestAdapter({ pageSize: 10 })],
      store,
      connections: [{ id: "nest", provider: "racenest", credentials: { token: new Secret("secret-token-123") }, baseUrl: fake.url }],
    });
    try {
      const first = await engine.runOnce();
      expect(first.failed).toBe(0);
      expect(await store.listRegistrations({ provider: "racenest" })).toHaveLength(25);
      const events = await store.listEvents();
      expect(events.map((e) => e.startsAt.toISOString()).sort()).toEqual(
        [start.toISOString(), new Date(start.getTime() + 900_000).toISOString()].sort(),
      );

      // Both entries belong to the second race (odd indexes), the one synced below.
      fake.cancelEntry(ids[3] as string, { reason: "refund", at: new Date() });
      fake.modifyEntry(ids[5] as string, { last: "Renamed", at: new Date() });
      const pass = await engine.syncEvent({ provider: "racenest", eventId: event.raceIds[1] as string });
      expect(pass.ok).toBe(true);
      const rows = new Map((await store.listRegistrations({ provider: "racenest" })).map((r) => [r.registrationId, r]));
      expect(rows.get(ids[3] as string)?.status).toBe("removed");
      expect(rows.get(ids[5] as string)?.lastName).toBe("Renamed");
    } finally {
      await engine.stop();
      await store.close();
      await fake.close();
    }
  });
});
