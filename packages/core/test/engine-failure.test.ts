import { describe, expect, it } from "vitest";
import { ProviderError, StoreError } from "@project88/core";
import {
  createMemoryStore,
  createScriptedAdapter,
  generateDataset,
  ManualClock,
  ScriptedDataset,
  type MemoryStore,
} from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-04T14:00:00Z");
const data = () => generateDataset({ races: 1, base, eventOffsetsMs: [0], registrationsPerEvent: 350 });

async function snapshot(store: MemoryStore) {
  const regs = await store.listRegistrations({ provider: "scripted" });
  const [event] = await store.listEvents();
  const s = event?.state;
  return {
    regs,
    cursorAt: s?.cursorAt,
    removalsCursorAt: s?.removalsCursorAt,
    backfilledAt: s?.backfilledAt,
    backfillAfter: s?.backfillAfter,
  };
}

describe("failed passes", () => {
  it("a failing page leaves rows and cursor exactly as before and records the run as failed, with backoff", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: data(), pageSize: 100 });
    await settle(h.clock, h.engine.runOnce());
    for (let i = 0; i < 350; i++) h.adapter.dataset.modifyRegistration(String(100_000 + i), { chip: `X${i}` }, h.clock.now());
    const before = await snapshot(h.store);
    const [event] = await h.store.listEvents();
    await h.clock.advanceTo(event?.state.nextDueAt as Date);
    h.adapter.resetLog();
    h.adapter.failOn({ kind: "registrations", call: 1, error: new ProviderError("[scripted] 503") });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.failed).toBe(1);
    expect(await snapshot(h.store)).toEqual(before);
    const [failedRun] = await h.store.listRuns({ limit: 1 });
    expect(failedRun?.status).toBe("failed");
    expect(failedRun?.error?.code).toBe("PROVIDER");
    const [after] = await h.store.listEvents();
    expect(after?.state.failures).toBe(1);
    expect(after?.state.lastError?.message).toContain("503");
    expect(after?.state.nextDueAt?.getTime()).toBeGreaterThan(h.clock.now().getTime());
    const error = h.events("sync:error")[0];
    expect(error?.retryAt?.getTime()).toBe(after?.state.nextDueAt?.getTime());
  });

  it("a failure on a later page keeps the committed pages but never moves the cursor", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: data(), pageSize: 100 });
    await settle(h.clock, h.engine.runOnce());
    const before = await snapshot(h.store);
    for (let i = 0; i < 350; i++) h.adapter.dataset.modifyRegistration(String(100_000 + i), { chip: `X${i}` }, h.clock.now());
    const [event] = await h.store.listEvents();
    await h.clock.advanceTo(event?.state.nextDueAt as Date);
    h.adapter.resetLog();
    h.adapter.failOn({ kind: "registrations", call: 3, error: new ProviderError("[scripted] reset") });
    await settle(h.clock, h.engine.runOnce());
    const after = await snapshot(h.store);
    expect(after.cursorAt).toEqual(before.cursorAt);
    expect(after.regs.filter((r) => r.chip !== null)).toHaveLength(200);
  });

  it("a store that refuses a page's commit writes nothing of it", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: data(), pageSize: 100 });
    await settle(h.clock, h.engine.runOnce());
    for (let i = 0; i < 50; i++) h.adapter.dataset.modifyRegistration(String(100_000 + i), { chip: "Y" }, h.clock.now());
    const before = await snapshot(h.store);
    const [event] = await h.store.listEvents();
    await h.clock.advanceTo(event?.state.nextDueAt as Date);
    h.store.failNext("commitPage", new StoreError("[memory-store] connection dropped", { retryable: true }));
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes[0]?.error?.code).toBe("STORE");
    expect(await snapshot(h.store)).toEqual(before);
  });
});

describe("errors the engine recovers from", () => {
  it("a store outage in the claim loop is reported as engine:error and the next round syncs", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: data(), pageSize: 100 });
    h.store.failNext("claimDue", new StoreError("[memory-store] connection dropped", { retryable: true }));
    await h.engine.start();
    for (let i = 0; i < 30 && h.events("sync:finish").length === 0; i++) await h.clock.advance(1000);
    await h.engine.stop();
    const errors = h.events("engine:error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ phase: "loop", error: { code: "STORE", message: "[memory-store] connection dropped" } });
    expect(h.events("sync:finish").length).toBeGreaterThan(0);
  });
});

describe("crash mid-backfill", () => {
  it("a new engine resumes the backfill from the last committed page", async () => {
    const store = createMemoryStore();
    const dataset = new ScriptedDataset(data());
    const clockA = new ManualClock("2026-07-01T06:30:00Z");
    const adapterA = createScriptedAdapter({ clock: clockA, dataset, pageSize: 100, delayMs: 1_000 });
    const a = createHarness({ clock: clockA, store, adapter: adapterA, owner: "engine-a" });
    const firstStart = clockA.now();
    void a.engine.runOnce();
    // Let engine A commit two pages, then drop it: its clock (and so its heartbeat) stops for good.
    for (let i = 0; i < 100 && a.events("sync:page").length < 2; i++) await clockA.advance(100);
    expect(a.events("sync:page")).toHaveLength(2);
    const [mid] = await store.listEvents();
    expect(mid?.state.backfillAfter).toBe("100199");
    expect(mid?.state.backfilledAt).toBeNull();

    const clockB = new ManualClock(clockA.now().getTime() + 5 * 60_000);
    const adapterB = createScriptedAdapter({ clock: clockB, dataset, pageSize: 100, delayMs: 1_000 });
    const b = createHarness({ clock: clockB, store, adapter: adapterB, owner: "engine-b" });
    const result = await settle(clockB, b.engine.runOnce());
    // The resumed backfill, then the reconciliation it schedules at once (it saw only part of the rows).
    expect(result.passes.map((p) => [p.kind, p.ok])).toEqual([
      ["backfill", true],
      ["reconcile", true],
    ]);
    const regCalls = adapterB.calls.filter((c) => c.kind === "registrations");
    expect(regCalls.map((c) => c.after)).toEqual(["100199", "100299", null, "100099", "100199", "100299"]);
    const regs = await store.listRegistrations({ provider: "scripted" });
    expect(regs).toHaveLength(350);
    const [done] = await store.listEvents();
    expect(done?.state.backfilledAt).not.toBeNull();
    expect(done?.state.backfillAfter).toBeNull();
    // The cursor goes back to the first attempt, which read the early pages.
    const firstSignpost = a.log.find((e) => e.name === "sync:start")?.at;
    expect(firstSignpost?.getTime()).toBeGreaterThanOrEqual(firstStart.getTime());
    expect(b.events("sync:finish")[0]?.cursorAt).toEqual(firstSignpost);
    expect(done?.state.lastReconciledAt).not.toBeNull();
  });
});
