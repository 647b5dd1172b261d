import { describe, expect, it } from "vitest";
import type { EventRef, SyncStore } from "@project88/core";
import { createMemoryStore, generateDataset, ManualClock } from "@project88/core/testing";
import { createLeaseKeeper } from "../src/lease-keeper.js";

const T0 = new Date("2026-07-01T07:00:00Z");
const ref = (eventId: string): EventRef => ({ provider: "scripted", eventId });

async function seeded() {
  const clock = new ManualClock(T0);
  const store = createMemoryStore();
  const data = generateDataset({ races: 3, base: new Date("2026-07-10T14:00:00Z") });
  await store.saveDiscovery({ connectionId: "c1", provider: "scripted", races: data.races, now: T0, newEventPriority: 0 });
  await store.claimEvents({ owner: "me", now: T0, leaseMs: 60_000, refs: ["5000", "5001", "5002"].map(ref) });
  return { clock, store };
}

describe("lease keeper", () => {
  it("renews every holder's leases in one call per beat, and runs no timer while nothing is held", async () => {
    const { clock, store } = await seeded();
    const keeper = createLeaseKeeper({ store, clock, owner: "me", leaseMs: 60_000 });
    const lost: EventRef[][] = [];
    const pass = keeper.holdEvents((l) => lost.push(l), [ref("5000")]);
    const race = keeper.holdEvents((l) => lost.push(l), [ref("5001"), ref("5002")]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(10 * 60_000);
    expect(lost).toEqual([]);
    expect(store.calls.renewLeases).toBe(30);
    const events = await store.listEvents({ refs: ["5000", "5001", "5002"].map(ref) });
    expect(events.map((e) => e.state.leaseExpiresAt?.getTime())).toEqual([0, 1, 2].map(() => T0.getTime() + 10 * 60_000 + 60_000));
    pass.release();
    race.remove([ref("5001"), ref("5002")]);
    expect(keeper.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    race.release();
  });

  it("tells only the holder of a lost lease, once, and keeps renewing the others", async () => {
    const { clock, store } = await seeded();
    const keeper = createLeaseKeeper({ store, clock, owner: "me", leaseMs: 60_000 });
    const lostA: EventRef[][] = [];
    const lostB: EventRef[][] = [];
    keeper.holdEvents((l) => lostA.push(l), [ref("5000")]);
    keeper.holdEvents((l) => lostB.push(l), [ref("5001")]);
    // Another process takes 5000 over (its lease is given back and claimed elsewhere).
    await store.releaseLeases({ owner: "me", now: T0, refs: [ref("5000")] });
    await store.claimEvents({ owner: "other", now: T0, leaseMs: 60_000, refs: [ref("5000")] });
    await clock.advance(60_000);
    expect(lostA).toEqual([[ref("5000")]]);
    expect(lostB).toEqual([]);
    expect(keeper.size).toBe(1);
    const [kept] = await store.listEvents({ refs: [ref("5001")] });
    expect(kept?.state.leaseExpiresAt?.getTime()).toBeGreaterThan(T0.getTime() + 60_000);
  });

  it("renews a discovery's lease and reports its loss", async () => {
    const clock = new ManualClock(T0);
    const store = createMemoryStore();
    const id = (await store.beginDiscovery({ connectionId: "c1", slot: T0, owner: "me", now: T0, leaseMs: 60_000 })) as string;
    const keeper = createLeaseKeeper({ store, clock, owner: "me", leaseMs: 60_000 });
    let lost = 0;
    const release = keeper.holdDiscovery(id, () => lost++);
    await clock.advance(5 * 60_000);
    expect(lost).toBe(0);
    expect(await store.beginDiscovery({ connectionId: "c1", slot: T0, owner: "other", now: clock.now(), leaseMs: 60_000 })).toBeNull();
    const failing: SyncStore = { ...store, renewDiscovery: async () => false };
    const second = createLeaseKeeper({ store: failing, clock, owner: "me", leaseMs: 60_000 });
    second.holdDiscovery(id, () => lost++);
    release();
    await clock.advance(60_000);
    expect(lost).toBe(1);
    expect(second.size).toBe(0);
  });
});
