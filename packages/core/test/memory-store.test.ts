import { describe, expect, it } from "vitest";
import { createMemoryStore } from "@project88/core/testing";
import type { Race, Registration } from "@project88/core";

const now = new Date("2026-03-01T12:00:00Z");
const race: Race = {
  provider: "p", raceId: "r1", name: "Race", timezone: "UTC", nextDate: null, raw: {},
  events: [{ provider: "p", eventId: "e1", raceId: "r1", name: "5K", startsAt: new Date("2026-03-02T08:00:00Z"), endsAt: null, raw: {} }],
};
function reg(id: string, extra: Partial<Registration> = {}): Registration {
  return { provider: "p", registrationId: id, raceId: "r1", eventId: "e1", userId: null, firstName: "A", lastName: "B", gender: null, dob: null, age: null, bib: null, chip: null, email: null, phone: null, city: null, state: null, country: null, teamName: null, registeredAt: null, modifiedAt: now, raw: { id }, ...extra };
}

describe("memory store smoke", () => {
  it("discovers, claims, commits and refuses an invalid page", async () => {
    const store = createMemoryStore();
    const diff = await store.saveDiscovery({ connectionId: "c", provider: "p", races: [race], now, newEventPriority: 0 });
    expect(diff.newEvents).toHaveLength(1);
    const claimed = await store.claimDue({ owner: "o", now, leaseMs: 60_000, maxRaces: 5 });
    expect(claimed.map((e) => e.eventId)).toEqual(["e1"]);
    const runId = await store.startRun({ owner: "o", now, connectionId: "c", provider: "p", raceId: "r1", eventIds: ["e1"], kind: "backfill" });
    await expect(store.commitPage({ owner: "o", now, runId, provider: "p", eventIds: ["e1"], registrations: [reg("1"), reg("2", { dob: "2001-02-30" })] })).rejects.toThrow(/registration 2/);
    expect(await store.listRegistrations({ provider: "p" })).toHaveLength(0);
    const res = await store.commitPage({ owner: "o", now, runId, provider: "p", eventIds: ["e1"], registrations: [reg("1"), reg("2")], finish: { apiCalls: 1, states: [{ eventId: "e1", nextDueAt: null }] } });
    expect(res).toMatchObject({ inserted: 2, updated: 0, unchanged: 0 });
    const [event] = await store.listEvents();
    expect(event?.activeRegistrations).toBe(2);
    expect(event?.state.leaseOwner).toBeNull();
  });
});
