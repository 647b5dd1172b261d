import { describe, expect, it } from "vitest";
import { AuthError } from "@project88/core";
import { generateDataset } from "@project88/core/testing";
import { budgetKeyOf, connection, createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-04T14:00:00Z");
const start = "2026-07-01T06:30:00Z";

/** One race that both partners' credentials can see, and one that only the second sees. */
function twoPartners() {
  const dataset = generateDataset({ races: 2, base, registrationsPerEvent: 20 });
  const [shared, second] = dataset.races;
  const onlyB = { ...second!, visibleTo: ["b"] };
  const h = createHarness({ start, dataset: { ...dataset, races: [shared!, onlyB] }, connections: [connection("a"), connection("b")] });
  return { h, shared: shared!.raceId, onlyB: onlyB.raceId };
}

describe("a race visible to two partners' credentials", () => {
  it("is synced once per due pass, not once per credential", async () => {
    const { h, shared } = twoPartners();
    await settle(h.clock, h.engine.runOnce());
    const [event] = (await h.store.listEvents()).filter((e) => e.raceId === shared);
    expect([...(event?.connectionIds ?? [])].sort()).toEqual(["a", "b"]);
    await h.clock.advanceTo(event?.state.nextDueAt as Date);
    h.adapter.resetLog();
    await settle(h.clock, h.engine.runOnce());
    const calls = h.adapter.calls.filter((c) => c.kind === "registrations" && c.raceId === shared);
    expect(calls).toHaveLength(1);
  });

  it("goes through the other credential when one is paused, and the other partner's work goes on", async () => {
    const { h, shared, onlyB } = twoPartners();
    await settle(h.clock, h.engine.runOnce());
    const events = await h.store.listEvents();
    await h.clock.advanceTo(Math.max(...events.map((e) => e.state.nextDueAt?.getTime() ?? 0)));
    // Partner a's credentials are rejected: a's budget is paused for an hour.
    await h.store.pauseBudget({
      key: budgetKeyOf("a"),
      now: h.clock.now(),
      until: new Date(h.clock.now().getTime() + 3_600_000),
      reason: "credentials rejected",
    });
    h.adapter.resetLog();
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.failed).toBe(0);
    const byRace = new Map(h.adapter.calls.filter((c) => c.kind === "registrations").map((c) => [c.raceId, c.connectionId]));
    expect(byRace.get(shared)).toBe("b");
    expect(byRace.get(onlyB)).toBe("b");
    expect(h.adapter.calls.some((c) => c.connectionId === "a")).toBe(false);
  });

  it("rejected credentials on one connection pause it alone; the other connection's events go on", async () => {
    const dataset = generateDataset({ races: 2, base, registrationsPerEvent: 20 });
    const [first, second] = dataset.races;
    const onlyA = { ...first!, visibleTo: ["a"] };
    const onlyB = { ...second!, visibleTo: ["b"] };
    const h = createHarness({ start, dataset: { ...dataset, races: [onlyA, onlyB] }, connections: [connection("a"), connection("b")] });
    await settle(h.clock, h.engine.runOnce());
    const events = await h.store.listEvents();
    await h.clock.advanceTo(Math.max(...events.map((e) => e.state.nextDueAt?.getTime() ?? 0)));
    h.adapter.failOn({ raceId: onlyA.raceId, error: new AuthError("[scripted] error 6 Key authentication failed"), times: 100 });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.find((p) => p.raceId === onlyA.raceId)?.ok).toBe(false);
    expect(result.passes.find((p) => p.raceId === onlyB.raceId)?.ok).toBe(true);
    const budgets = await h.store.getBudgets({ now: h.clock.now(), keys: [budgetKeyOf("a"), budgetKeyOf("b")] });
    expect(budgets.find((b) => b.key === budgetKeyOf("a"))?.pausedUntil).not.toBeNull();
    expect(budgets.find((b) => b.key === budgetKeyOf("b"))?.pausedUntil ?? null).toBeNull();
  });
});
