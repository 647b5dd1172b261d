import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSyncService, type SyncService } from "../src/service.js";

describe("examples/embed-in-service", () => {
  let fake: FakeRunSignup;
  let db: TestSchema;
  let service: SyncService | null = null;
  const alerts: string[] = [];

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "example_embed" });
    fake = await startFakeRunSignup({ season: { seed: 2, partners: 1, racesPerPartner: 3, eventsPerRace: 2, registrationsPerEvent: 120 } });
  });
  afterAll(async () => {
    await service?.stop();
    await fake?.close();
    await db?.drop();
  });

  it("syncs every event into PostgreSQL, counts passes from the events, and shuts down cleanly", async () => {
    service = await createSyncService({
      databaseUrl: db.connectionString,
      schema: db.schema,
      connections: [fake.connection(0)],
      sink: { info: () => undefined, alert: (m) => alerts.push(m) },
    });
    const backfilled = new Set<string>();
    const all = new Promise<void>((resolve) => {
      service!.engine.on("sync:finish", (e) => {
        if (e.kind === "backfill") for (const id of e.eventIds) backfilled.add(id);
        if (backfilled.size === fake.dataset.events.size) resolve();
      });
    });
    await service.start();
    await all;
    const running = service;
    service = null;
    await running.stop();

    expect(running.counters.newEvents).toBe(fake.dataset.events.size);
    expect(running.counters.passes).toBeGreaterThan(0);
    expect(running.counters.rowsInserted).toBe(fake.dataset.registrationCount);
    expect(alerts).toEqual([]);

    // The store is closed; a fresh one sees every registration and no lease left behind.
    const { createPostgresStore } = await import("@project88/postgres-store");
    const store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, migrate: false });
    try {
      const rows = await store.listRegistrations({ provider: "runsignup" });
      expect(rows.filter((r) => r.status === "active")).toHaveLength(fake.dataset.registrationCount);
      const events = await store.listEvents();
      expect(events.filter((e) => e.state.leaseOwner !== null && (e.state.leaseExpiresAt?.getTime() ?? 0) > Date.now())).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
