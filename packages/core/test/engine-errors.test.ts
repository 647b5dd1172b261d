import { describe, expect, it } from "vitest";
import { AuthError, NotFoundError, RateLimitedError, type SyncStore } from "@project88/core";
import { createMemoryStore, generateDataset } from "@project88/core/testing";
import { budgetKeyOf, connection, createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-04T14:00:00Z");
const start = "2026-07-01T06:30:00Z";

async function backfilled(options: Parameters<typeof createHarness>[0] = {}) {
  const h = createHarness({ start, dataset: generateDataset({ races: 1, base, registrationsPerEvent: 20 }), ...options });
  await settle(h.clock, h.engine.runOnce());
  const [event] = await h.store.listEvents();
  await h.clock.advanceTo(event?.state.nextDueAt as Date);
  return h;
}

describe("errors", () => {
  it("rejected credentials pause the connection's budget and say so", async () => {
    const h = await backfilled();
    h.adapter.failOn({ kind: "registrations", error: new AuthError("[scripted] error 6 Key authentication failed") });
    await settle(h.clock, h.engine.runOnce());
    const throttled = h.events("budget:throttled");
    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toMatchObject({ connectionId: "c1", budgetKey: budgetKeyOf("c1"), reason: "credentials rejected" });
    const [budget] = await h.store.getBudgets({ now: h.clock.now(), keys: [budgetKeyOf("c1")] });
    expect(budget?.pausedUntil?.getTime()).toBe(h.clock.now().getTime() + 3_600_000);
    const [event] = await h.store.listEvents();
    expect(event?.state.nextDueAt?.getTime()).toBeGreaterThanOrEqual(budget?.pausedUntil?.getTime() ?? Infinity);
  });

  it("throttling pauses the whole connection for Retry-After", async () => {
    const h = await backfilled();
    h.adapter.failOn({ kind: "registrations", error: new RateLimitedError("[scripted] 429", 120_000) });
    await settle(h.clock, h.engine.runOnce());
    expect(h.events("budget:throttled")[0]?.until.getTime()).toBe(h.clock.now().getTime() + 120_000);
    expect(h.events("sync:error")[0]?.retryAt?.getTime()).toBeGreaterThanOrEqual(h.clock.now().getTime() + 120_000);
  });

  it("a vanished race stops being scheduled", async () => {
    const h = await backfilled();
    h.adapter.failOn({ kind: "registrations", error: new NotFoundError("[scripted] race 1000: error 201"), times: Infinity });
    await settle(h.clock, h.engine.runOnce());
    const [event] = await h.store.listEvents();
    expect(event?.state.nextDueAt).toBeNull();
    expect(event?.state.lastError?.code).toBe("NOT_FOUND");
    expect(h.events("sync:error")[0]?.retryAt).toBeNull();
  });

  it("a reconciliation that would vanish too many registrations marks none and reports", async () => {
    const h = await backfilled();
    for (let i = 0; i < 10; i++) h.adapter.dataset.dropRegistration(String(100_000 + i));
    const result = await settle(h.clock, h.engine.syncEvent({ provider: "scripted", eventId: "5000" }, { full: true }));
    expect(result.ok).toBe(true);
    expect(h.events("reconcile:refused")).toEqual([
      expect.objectContaining({ eventIds: ["5000"], wouldVanish: 10, active: 20, maxShare: 0.2 }),
    ]);
    const regs = await h.store.listRegistrations({ provider: "scripted" });
    expect(regs.filter((r) => r.status === "vanished")).toHaveLength(0);
  });

  it("a lost lease aborts the pass and reports lease:lost", async () => {
    const inner = createMemoryStore();
    let steal = false;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === "renewLeases") {
          return async (args: Parameters<SyncStore["renewLeases"]>[0]) =>
            steal ? args.refs.map((r) => ({ ...r })) : target.renewLeases(args);
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const h = await backfilled({ store, connections: [connection()] });
    h.adapter.setDelay(120_000);
    steal = true;
    const result = await settle(h.clock, h.engine.runOnce());
    expect(h.events("lease:lost")).toEqual([{ owner: "test-engine", events: [{ provider: "scripted", eventId: "5000" }] }]);
    expect(result.passes[0]?.error?.code).toBe("LEASE_LOST");
    // Aborted by the heartbeat (a third of the 60 s lease), long before the 120 s response.
    expect(h.log.find((e) => e.name === "lease:lost")?.at.getTime()).toBe(
      h.log.find((e) => e.name === "sync:start" && (e.payload as { kind: string }).kind === "incremental")!.at.getTime() + 20_000,
    );
  });
});
