import { describe, expect, it } from "vitest";
import { createMemoryStore, createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-10T14:00:00Z");

describe("discovery ledger", () => {
  it("a restart at 07:00 after a missed 06:00 run discovers at once, then waits for 18:00", async () => {
    const h = createHarness({ start: "2026-07-01T07:00:00Z", dataset: generateDataset({ races: 2, base }) });
    const first = await settle(h.clock, h.engine.runOnce());
    expect(first.discovered).toBe(true);
    expect(h.events("discovery:start")[0]?.slot.toISOString()).toBe("2026-07-01T06:00:00.000Z");
    expect(h.events("race:new").map((e) => e.raceId)).toEqual(["1000", "1001"]);
    expect(h.events("event:new")).toHaveLength(2);
    await h.clock.advanceTo(new Date("2026-07-01T17:59:00Z"));
    expect((await settle(h.clock, h.engine.runOnce())).discovered).toBe(false);
    await h.clock.advanceTo(new Date("2026-07-01T18:00:00Z"));
    expect((await settle(h.clock, h.engine.runOnce())).discovered).toBe(true);
    const finish = h.events("discovery:finish").at(-1);
    expect(finish).toMatchObject({ races: 2, newRaces: 0, newEvents: 0, error: null });
    expect(finish?.apiCalls).toBe(1);
  });

  it("a new event already in the most urgent tier is claimed as urgently as that tier; a later one as a backfill", async () => {
    // 07:00 discovery: the first race starts at 09:00 (high tier from 05:00), the second tomorrow.
    const h = createHarness({
      start: "2026-07-01T07:00:00Z",
      dataset: generateDataset({ races: 2, base: new Date("2026-07-01T09:00:00Z"), raceSpacingMs: 24 * 3_600_000 }),
    });
    await h.engine.discover();
    const priorities = Object.fromEntries((await h.store.listEvents()).map((e) => [e.raceId, e.state.priority]));
    expect(priorities).toEqual({ "1000": 0, "1001": 1 });
  });

  it("a second process does not repeat a slot another process already discovered", async () => {
    const clock = new ManualClock("2026-07-01T07:00:00Z");
    const store = createMemoryStore();
    const adapter = createScriptedAdapter({ clock, dataset: generateDataset({ races: 1, base }) });
    const a = createHarness({ clock, store, adapter, owner: "a" });
    const b = createHarness({ clock, store, adapter, owner: "b" });
    expect((await settle(clock, a.engine.runOnce())).discovered).toBe(true);
    expect((await settle(clock, b.engine.runOnce())).discovered).toBe(false);
    expect(adapter.calls.filter((c) => c.kind === "listRaces")).toHaveLength(1);
  });

  it("a moved start is reported and rescheduled on the new start", async () => {
    const h = createHarness({ start: "2026-07-01T07:00:00Z", dataset: generateDataset({ races: 1, base }) });
    await settle(h.clock, h.engine.runOnce());
    const moved = new Date("2026-07-01T20:00:00Z");
    h.adapter.dataset.moveEvent("5000", moved);
    await h.engine.discover();
    expect(h.events("event:changed")).toEqual([
      { provider: "scripted", eventId: "5000", raceId: "1000", previousStartsAt: base, startsAt: moved },
    ]);
    const [event] = await h.store.listEvents();
    expect(event?.state.tier).toBe("medium");
    expect(event?.state.nextDueAt).toEqual(h.clock.now());
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => p.kind)).toEqual(["incremental"]);
    const [after] = await h.store.listEvents();
    expect(after?.state.nextDueAt?.toISOString()).toBe("2026-07-01T07:15:00.000Z");
  });

  it("a failed discovery is recorded and retried after a backoff, not every poll", async () => {
    const h = createHarness({ start: "2026-07-01T07:00:00Z", dataset: generateDataset({ races: 1, base }) });
    const { ProviderError } = await import("@project88/core");
    h.adapter.failOn({ kind: "listRaces", error: new ProviderError("[scripted] 500") });
    expect((await settle(h.clock, h.engine.runOnce())).discovered).toBe(true);
    expect(h.events("discovery:finish")[0]?.error?.code).toBe("PROVIDER");
    expect((await settle(h.clock, h.engine.runOnce())).discovered).toBe(false);
    await h.clock.advance(60_000);
    expect((await settle(h.clock, h.engine.runOnce())).discovered).toBe(true);
    expect(h.events("discovery:finish")[1]?.error).toBeNull();
  });
});
