import { describe, expect, it } from "vitest";
import { createMemoryStore, createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const START = new Date("2026-07-01T07:00:00Z");
const base = new Date("2026-07-10T14:00:00Z");

describe("every lease a process holds is renewed while it is held", () => {
  it("a race's later pass keeps its lease while the first pass runs longer than a lease", async () => {
    const clock = new ManualClock(START);
    const store = createMemoryStore();
    const adapter = createScriptedAdapter({
      clock,
      dataset: generateDataset({ races: 1, base, eventOffsetsMs: [0, 3_600_000], registrationsPerEvent: 10 }),
      pageSize: 2,
    });
    const a = createHarness({ clock, store, adapter, owner: "engine-a" });
    const b = createHarness({ clock, store, adapter, owner: "engine-b" });
    await settle(clock, a.engine.runOnce());
    // One event needs a new backfill and the other an incremental pass: one race, two passes.
    await store.updateSchedule({
      now: clock.now(),
      patches: [
        { provider: "scripted", eventId: "5000", nextDueAt: clock.now() },
        { provider: "scripted", eventId: "5001", nextDueAt: clock.now(), backfilledAt: null, backfillAfter: null, cursorAt: null },
      ],
    });
    adapter.setDelay(50_000); // every request takes 50 s: either pass outlasts the 60 s lease
    const first = a.engine.runOnce();
    await clock.advance(70_000);
    // Another process looks for due work while the first pass runs: the waiting pass is not free.
    const other = await settle(clock, b.engine.runOnce());
    expect(other.passes).toEqual([]);
    const result = await settle(clock, first);
    expect(result.passes.map((p) => [p.kind, p.ok]).sort()).toEqual([
      ["backfill", true],
      ["incremental", true],
    ]);
    expect(result.passes.flatMap((p) => p.eventIds).sort()).toEqual(["5000", "5001"]);
    expect(a.events("lease:lost")).toEqual([]);
    expect(b.events("sync:start")).toEqual([]);
    const runs = await store.listRuns();
    expect(runs.filter((r) => r.status !== "succeeded")).toEqual([]);
  });

  it("a discovery longer than its lease keeps its slot: a second process does not run it again", async () => {
    const clock = new ManualClock(START);
    const store = createMemoryStore();
    // One race per listing page and 30 s a request: four races take two minutes.
    const adapter = createScriptedAdapter({ clock, dataset: generateDataset({ races: 4, base }), racePageSize: 1, delayMs: 30_000 });
    const a = createHarness({ clock, store, adapter, owner: "engine-a" });
    const b = createHarness({ clock, store, adapter, owner: "engine-b" });
    const first = a.engine.runOnce();
    await clock.advance(70_000);
    const other = await settle(clock, b.engine.runOnce());
    expect(other.discovered).toBe(false);
    expect(b.events("discovery:start")).toEqual([]);
    await settle(clock, first);
    expect(a.events("discovery:finish")).toMatchObject([{ races: 4, error: null }]);
    expect(adapter.calls.filter((c) => c.kind === "listRaces")).toHaveLength(5);
    expect(await store.lastDiscoveries()).toMatchObject([{ status: "succeeded", races: 4 }]);
  });

  it("a run left running by a process that died is closed as abandoned, at its lease's expiry, when the next process claims the work", async () => {
    const clock = new ManualClock(START);
    const store = createMemoryStore();
    const adapter = createScriptedAdapter({ clock, dataset: generateDataset({ races: 1, base }) });
    const h = createHarness({ clock, store, adapter, owner: "engine-b" });
    await settle(clock, h.engine.runOnce());
    // Another process claims the event and starts its pass, then dies without a word.
    const ref = { provider: "scripted", eventId: "5000" };
    await store.updateSchedule({ now: clock.now(), patches: [{ ...ref, nextDueAt: clock.now() }] });
    await store.claimEvents({ owner: "engine-a", now: clock.now(), leaseMs: 60_000, refs: [ref] });
    const deadRun = await store.startRun({
      owner: "engine-a",
      now: clock.now(),
      connectionId: "c1",
      provider: "scripted",
      raceId: "1000",
      eventIds: ["5000"],
      kind: "incremental",
    });
    const expiry = new Date(clock.now().getTime() + 60_000);
    await clock.advance(30_000);
    expect((await settle(clock, h.engine.runOnce())).passes).toEqual([]);
    await clock.advance(40_000);
    const result = await settle(clock, h.engine.runOnce());
    expect(result.passes).toMatchObject([{ eventIds: ["5000"], ok: true }]);
    const [latest, dead] = await store.listRuns({ eventId: "5000" });
    expect(latest?.status).toBe("succeeded");
    expect(dead).toMatchObject({ id: deadRun, status: "abandoned", finishedAt: expiry, error: { code: "LEASE_LOST" } });
  });
});
