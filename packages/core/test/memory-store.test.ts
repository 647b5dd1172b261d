import { describe, expect, it } from "vitest";
import { StoreError, type Race, type Registration } from "@project88/core";
import { createMemoryStore, runStoreConformance } from "@project88/core/testing";
import { bareRegistration } from "./registration.js";

runStoreConformance({ describe, it, expect }, { createStore: () => createMemoryStore(), name: "memory store" });

const now = new Date("2026-03-01T12:00:00Z");
const race: Race = {
  provider: "p",
  raceId: "r1",
  name: "Race",
  timezone: "UTC",
  nextDate: null,
  raw: {},
  events: [{ provider: "p", eventId: "e1", raceId: "r1", name: "5K", startsAt: new Date("2026-03-02T08:00:00Z"), endsAt: null, raw: {} }],
};
function reg(id: string, extra: Partial<Registration> = {}): Registration {
  return bareRegistration({ provider: "p", registrationId: id, raceId: "r1", eventId: "e1", modifiedAt: now, raw: { id }, ...extra });
}

async function seeded() {
  const store = createMemoryStore();
  await store.saveDiscovery({ connectionId: "c", provider: "p", races: [race], now, newEventPriority: 0 });
  await store.claimDue({ owner: "o", now, leaseMs: 60_000, maxRaces: 5 });
  const runId = await store.startRun({
    owner: "o",
    now,
    connectionId: "c",
    provider: "p",
    raceId: "r1",
    eventIds: ["e1"],
    kind: "backfill",
  });
  return { store, runId };
}

describe("memory store extras", () => {
  it("answers databaseNow from the clock it was given, and has no databaseNow without one", async () => {
    expect(createMemoryStore().databaseNow).toBeUndefined();
    const store = createMemoryStore({ now: () => new Date("2026-03-01T12:00:05Z") });
    expect(await store.databaseNow?.()).toEqual(new Date("2026-03-01T12:00:05Z"));
  });

  it("failNext makes the next call of a method fail before it writes anything", async () => {
    const { store, runId } = await seeded();
    store.failNext("commitPage");
    const page = { owner: "o", now, runId, provider: "p", eventIds: ["e1"], registrations: [reg("1")] };
    await expect(store.commitPage(page)).rejects.toBeInstanceOf(StoreError);
    expect(await store.listRegistrations({ provider: "p" })).toEqual([]);
    expect(await store.commitPage(page)).toMatchObject({ inserted: 1 });
    expect(store.calls.commitPage).toBe(2);
  });

  it("hands out copies: changing a returned object changes nothing stored", async () => {
    const { store, runId } = await seeded();
    await store.commitPage({ owner: "o", now, runId, provider: "p", eventIds: ["e1"], registrations: [reg("1")] });
    const [row] = await store.listRegistrations({ provider: "p" });
    (row as { firstName: string | null }).firstName = "changed";
    (row?.raw as { id: string }).id = "changed";
    const [event] = await store.listEvents();
    (event!.state.nextDueAt as Date).setTime(0);
    expect((await store.listRegistrations({ provider: "p" }))[0]).toMatchObject({ firstName: "A", raw: { id: "1" } });
    expect((await store.listEvents())[0]?.state.nextDueAt).toEqual(now);
  });

  it("skips, and reports, a removal with an unknown reason, a row of another provider and one of an unknown event", async () => {
    const { store, runId } = await seeded();
    const base = { owner: "o", now, runId, provider: "p", eventIds: ["e1"] };
    const result = await store.commitPage({
      ...base,
      registrations: [reg("1", { provider: "q" }), reg("2", { eventId: "nope" }), reg("4")],
      removals: [
        {
          provider: "p",
          registrationId: "3",
          raceId: "r1",
          eventId: "e1",
          reason: "lost" as never,
          newRegistrationId: null,
          modifiedAt: now,
          raw: {},
        },
      ],
    });
    expect(result).toMatchObject({ inserted: 1, removed: 0 });
    expect(result.problems?.map((p) => [p.registrationId, p.field, p.skipped])).toEqual([
      ["1", "provider", true],
      ["3", "reason", true],
      ["2", "eventId", true],
    ]);
    expect((await store.listRegistrations({ provider: "p" })).map((r) => r.registrationId)).toEqual(["4"]);
  });

  it("refuses work after close", async () => {
    const store = createMemoryStore();
    await store.close();
    await expect(store.listEvents()).rejects.toBeInstanceOf(StoreError);
  });
});
