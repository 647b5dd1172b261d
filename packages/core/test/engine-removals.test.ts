import { describe, expect, it } from "vitest";
import type { Registration, ScheduleInput } from "@project88/core";
import { generateDataset } from "@project88/core/testing";
import { budgetKeyOf, createHarness, type Harness, settle } from "./engine-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const start = new Date("2026-07-04T09:00:00Z");

/** One race, one event starting 3 h after `start`: high tier, removal feed every 15 min. */
async function backfilled(schedule?: ScheduleInput) {
  const data = generateDataset({ races: 1, base: new Date(start.getTime() + 3 * HOUR), registrationsPerEvent: 10 });
  const h = createHarness({ start, dataset: data, schedule });
  await settle(h.clock, h.engine.runOnce());
  const [event] = await h.store.listEvents();
  expect(event?.state.removalsDueAt?.getTime()).toBeGreaterThan(h.clock.now().getTime() + 10 * MIN);
  await h.clock.advanceTo(event?.state.nextDueAt as Date);
  h.adapter.resetLog();
  return h;
}

/** Spends the connection's bucket down to 5 of its 20 tokens: its budget binds, no room to spare. */
async function bind(h: Harness): Promise<void> {
  const limits = { callsPerHour: 1000, burst: 20, maxInFlight: 2 };
  for (let i = 0; i < 15; i++) {
    const take = await h.store.takeBudget({ key: budgetKeyOf(), owner: "other-process", now: h.clock.now(), limits, slotTtlMs: 60_000 });
    if (!take.granted) throw new Error("the bucket should have had tokens");
    await h.store.releaseBudget({ key: budgetKeyOf(), slotId: take.slotId, now: h.clock.now() });
  }
}

function newRegistration(old: Registration, id: string, at: Date): Registration {
  return { ...old, registrationId: id, registeredAt: at, modifiedAt: at, raw: { registration_id: id } };
}

describe("the removal feed", () => {
  it("runs in the same scheduled pass when the pass inserts new registrations (a transfer), budget binding or not", async () => {
    const h = await backfilled();
    await bind(h);
    const old = h.adapter.dataset.registrations(["5000"])[0]!;
    const now = h.clock.now();
    // A transfer: the new registration and the old one's removal, at the same moment.
    h.adapter.dataset.upsertRegistration(newRegistration(old, "900001", now));
    h.adapter.dataset.removeRegistration(old.registrationId, { reason: "transferred", at: now, newRegistrationId: "900001" });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.ok, p.inserted, p.removed])).toEqual([["incremental", true, 1, 1]]);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    const regs = new Map((await h.store.listRegistrations({ provider: "scripted" })).map((r) => [r.registrationId, r]));
    expect(regs.get("900001")?.status).toBe("active");
    expect(regs.get(old.registrationId)).toMatchObject({ status: "transferred", newRegistrationId: "900001" });
    // The feed's own cadence moves on from this read.
    const [event] = await h.store.listEvents();
    expect(event?.state.removalsCursorAt?.getTime()).toBe(now.getTime());
  });

  it("is not read by a scheduled pass that inserts nothing while the budget binds, until it is due", async () => {
    const h = await backfilled();
    await bind(h);
    const row = h.adapter.dataset.registrations(["5000"])[0]!;
    h.adapter.dataset.modifyRegistration(row.registrationId, { bib: "777" }, h.clock.now());
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.ok, p.inserted, p.updated, p.apiCalls])).toEqual([[true, 0, 1, 1]]);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations"]);
  });

  it("is read with every pass while the connection's budget has room: a refund shows as fast as a new registration", async () => {
    const h = await backfilled();
    const refunded = h.adapter.dataset.registrations(["5000"])[0]!;
    h.adapter.dataset.removeRegistration(refunded.registrationId, { reason: "removed", at: h.clock.now() });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.ok, p.inserted, p.removed, p.apiCalls])).toEqual([["incremental", true, 0, 1, 2]]);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    const stored = (await h.store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === refunded.registrationId);
    expect(stored?.status).toBe("removed");
  });

  it("keeps to its cadence with room to spare when removalsWithRoom is off", async () => {
    const h = await backfilled({ removalsWithRoom: false });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.ok, p.apiCalls])).toEqual([[true, 1]]);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations"]);
  });

  it("is always read by syncEvent, the operator's 'bring this event up to date now'", async () => {
    const h = await backfilled();
    const refunded = h.adapter.dataset.registrations(["5000"])[0]!;
    h.adapter.dataset.removeRegistration(refunded.registrationId, { reason: "removed", at: h.clock.now() });
    const result = await settle(h.clock, h.engine.syncEvent({ provider: "scripted", eventId: "5000" }));
    expect([result.ok, result.removed]).toEqual([true, 1]);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    const stored = (await h.store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === refunded.registrationId);
    expect(stored?.status).toBe("removed");
  });
});
