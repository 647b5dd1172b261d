import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSyncEngine, ForbiddenError, secret, type EngineEvents } from "@project88/core";
import { createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { useTestSchema } from "./db.js";
import { settle } from "./engine-settle.js";

const db = useTestSchema("store_forbidden");
let store: PostgresStore;

beforeAll(async () => {
  store = await createPostgresStore({ connectionString: db.get().connectionString, schema: db.get().schema, poolSize: 4 });
});
afterAll(async () => {
  await store?.close();
});

describe("a race refused to one connection, on real PostgreSQL", () => {
  it("is marked on connection_events, synced through the other connection, never claimed for the refused one, and cleared by its discovery", async () => {
    const clock = new ManualClock("2026-07-01T06:30:00Z");
    const dataset = generateDataset({ races: 2, base: new Date("2026-07-04T14:00:00Z"), registrationsPerEvent: 20 });
    const [first, second] = dataset.races;
    const shared = first!.raceId;
    const onlyA = { ...second!, visibleTo: ["a"] };
    const adapter = createScriptedAdapter({ clock, dataset: { ...dataset, races: [first!, onlyA] } });
    adapter.failOn({
      connectionId: "a",
      raceId: shared,
      error: new ForbiddenError(`[scripted] race ${shared}: error 7 Permission Denied`, shared),
      times: Infinity,
    });
    const engine = createSyncEngine({
      adapters: [adapter],
      store,
      clock,
      owner: "pg-forbidden",
      connections: [
        { id: "a", provider: "scripted", credentials: { key: secret("key-a") } },
        // A smaller burst: the engine picks a (more tokens) for the shared race first.
        { id: "b", provider: "scripted", credentials: { key: secret("key-b") }, burst: 5 },
      ],
      random: () => 0.5,
      // Simulated time against a real database clock: the skew check would refuse it.
      maxClockSkewMs: null,
    });
    const forbidden: EngineEvents["race:forbidden"][] = [];
    engine.on("race:forbidden", (p) => forbidden.push(p));
    const throttled: unknown[] = [];
    engine.on("budget:throttled", (p) => throttled.push(p));

    const result = await settle(clock, engine.runOnce());
    expect(forbidden).toEqual([expect.objectContaining({ connectionId: "a", raceId: shared, otherConnectionIds: ["b"] })]);
    expect(throttled).toEqual([]);
    expect(result.passes.filter((p) => p.raceId === shared).map((p) => [p.connectionId, p.ok])).toEqual([
      ["a", false],
      ["b", true],
    ]);
    expect(result.passes.filter((p) => p.raceId === onlyA.raceId).map((p) => [p.connectionId, p.ok])).toEqual([["a", true]]);

    const s = db.get().schema;
    const links = await db.query<{ connection_id: string; event_id: string; forbidden_at: Date | null; code: string | null }>(
      `SELECT ce.connection_id, ce.event_id, ce.forbidden_at, ce.forbidden_error->>'code' AS code
       FROM "${s}".connection_events ce JOIN "${s}".events e USING (provider, event_id) WHERE e.race_id = $1 ORDER BY 1, 2`,
      [shared],
    );
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      if (link.connection_id === "a") expect(link).toMatchObject({ code: "FORBIDDEN", forbidden_at: expect.any(Date) });
      else expect(link).toMatchObject({ code: null, forbidden_at: null });
    }
    const status = await engine.status();
    expect(status.connections.find((c) => c.id === "a")?.forbiddenRaces).toEqual([
      expect.objectContaining({ raceId: shared, rerouted: true }),
    ]);

    // Another process serving only connection a never claims the shared race, even when due.
    const sharedEvents = (await store.listEvents()).filter((e) => e.raceId === shared);
    await store.updateSchedule({
      now: clock.now(),
      patches: sharedEvents.map((e) => ({ provider: e.provider, eventId: e.eventId, nextDueAt: clock.now() })),
    });
    const claimedForA = await store.claimDue({
      owner: "other",
      now: clock.now(),
      leaseMs: 60_000,
      maxRaces: 10,
      providers: ["scripted"],
      connectionIds: ["a"],
    });
    expect(claimedForA.filter((e) => e.raceId === shared)).toEqual([]);
    await store.releaseLeases({ owner: "other", now: clock.now(), refs: claimedForA });

    // Discovery by a sees the race again: the mark is gone.
    await settle(clock, engine.discover({ connectionIds: ["a"] }));
    const after = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${s}".connection_events WHERE forbidden_at IS NOT NULL`);
    expect(after[0]?.n).toBe(0);
    expect((await store.listEvents()).flatMap((e) => e.forbidden)).toEqual([]);
  });
});
