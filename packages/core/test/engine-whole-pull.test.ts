import { describe, expect, it } from "vitest";
import type { Registration, ScheduleInput } from "@project88/core";
import { createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const start = new Date("2026-07-04T09:00:00Z");

/**
 * One race, one event starting 3 h after `start` (high tier), backfilled, at its next due pass.
 * The adapter declares its page size (100), so a race of at most 100 registrations is read whole.
 */
async function backfilled(registrationsPerEvent: number, schedule?: ScheduleInput) {
  const clock = new ManualClock(start);
  const data = generateDataset({ races: 1, base: new Date(start.getTime() + 3 * HOUR), registrationsPerEvent });
  const adapter = createScriptedAdapter({ clock, dataset: data, pageSize: 100, declarePageSize: true });
  const h = createHarness({ clock, adapter, schedule: { removalsWithRoom: false, ...schedule } });
  await settle(h.clock, h.engine.runOnce());
  const [event] = await h.store.listEvents();
  await h.clock.advanceTo(event?.state.nextDueAt as Date);
  h.adapter.resetLog();
  return h;
}

const statusOf = async (h: Awaited<ReturnType<typeof backfilled>>, id: string) =>
  (await h.store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === id);

/** A registration made and removed at once at the provider, so no pull ever sees it. */
function registerAndRefund(h: Awaited<ReturnType<typeof backfilled>>, template: Registration, registrationId: string): Registration {
  const brief = { ...template, registrationId };
  h.adapter.dataset.upsertRegistration(brief);
  h.adapter.dataset.removeRegistration(registrationId, { reason: "removed", at: h.clock.now() });
  return brief;
}

/** One run at the instant the removal feed's own cadence has it due, with the adapter's log cleared first. */
async function passAtFeedCadence(h: Awaited<ReturnType<typeof backfilled>>): Promise<void> {
  const [event] = await h.store.listEvents();
  await h.clock.advanceTo(event?.state.removalsDueAt as Date);
  h.adapter.resetLog();
  await settle(h.clock, h.engine.runOnce());
}

describe("a race that fits in one page is read whole", () => {
  it("one call shows a refund at once (vanished); the removal feed gives its reason at the reasons' cadence", async () => {
    const h = await backfilled(40);
    const refunded = h.adapter.dataset.registrations(["5000"])[0]!;
    h.adapter.dataset.removeRegistration(refunded.registrationId, { reason: "removed", at: h.clock.now() });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.ok, p.apiCalls, p.vanished])).toEqual([["reconcile", true, 1, 1]]);
    expect(h.adapter.calls.map((c) => [c.kind, c.modifiedSince ?? null])).toEqual([["registrations", null]]);
    expect((await statusOf(h, refunded.registrationId))?.status).toBe("vanished");
    // Not at the feed's own cadence (15 min): the refund is already visible, and the reasons of
    // a race read whole wait for theirs while the budget has no room to spare.
    const [event] = await h.store.listEvents();
    await h.clock.advanceTo(event?.state.removalsDueAt as Date);
    h.adapter.resetLog();
    await settle(h.clock, h.engine.runOnce());
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations"]);
    expect((await statusOf(h, refunded.registrationId))?.status).toBe("vanished");
    // Nor 30 min after the feed last ran; at the reasons' cadence (60 min) it names the reason.
    const lastFeed = event?.state.removalsCursorAt as Date;
    await h.clock.advanceTo(new Date(lastFeed.getTime() + 30 * MIN));
    h.adapter.resetLog();
    await settle(h.clock, h.engine.runOnce());
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations"]);
    await h.clock.advanceTo(new Date(lastFeed.getTime() + 60 * MIN));
    h.adapter.resetLog();
    await settle(h.clock, h.engine.runOnce());
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    expect((await statusOf(h, refunded.registrationId))?.status).toBe("removed");
  });

  it("skips the removal feed at its cadence when no registration went missing since it last ran", async () => {
    const h = await backfilled(40);
    const [event] = await h.store.listEvents();
    await h.clock.advanceTo(event?.state.removalsDueAt as Date);
    h.adapter.resetLog();
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.ok, p.apiCalls])).toEqual([["reconcile", true, 1]]);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations"]);
    // Its cursor stays: whatever the feed holds since is read the next time it runs.
    const [after] = await h.store.listEvents();
    expect(after?.state.removalsCursorAt).toEqual(event?.state.removalsCursorAt);
  });

  it("while the budget binds, a registration made and removed between two pulls is recorded at the reasons' cadence", async () => {
    const h = await backfilled(40);
    const brief = registerAndRefund(h, h.adapter.dataset.registrations(["5000"])[0]!, "99000002");
    const [event] = await h.store.listEvents();
    // No pull sees it, and nothing goes missing: at the feed's own cadence (15 min) one call.
    await passAtFeedCadence(h);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations"]);
    expect(await statusOf(h, brief.registrationId)).toBeUndefined();
    // At the reasons' cadence (60 min after the feed last ran) the feed is read all the same.
    const lastFeed = event?.state.removalsCursorAt as Date;
    await h.clock.advanceTo(new Date(lastFeed.getTime() + 60 * MIN));
    h.adapter.resetLog();
    await settle(h.clock, h.engine.runOnce());
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    expect((await statusOf(h, brief.registrationId))?.status).toBe("removed");
  });

  it("a transfer costs one call: the new registration active, the old one vanished", async () => {
    const h = await backfilled(40);
    const old = h.adapter.dataset.registrations(["5000"])[0]!;
    const now = h.clock.now();
    const moved: Registration = {
      ...old,
      registrationId: "900001",
      registeredAt: now,
      modifiedAt: now,
      raw: { registration_id: "900001" },
    };
    h.adapter.dataset.upsertRegistration(moved);
    h.adapter.dataset.removeRegistration(old.registrationId, { reason: "transferred", at: now, newRegistrationId: "900001" });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.inserted, p.vanished, p.apiCalls])).toEqual([["reconcile", 1, 1, 1]]);
    expect((await statusOf(h, "900001"))?.status).toBe("active");
    expect((await statusOf(h, old.registrationId))?.status).toBe("vanished");
  });

  it("a race beyond one page stays incremental, with the removal feed after an insert", async () => {
    const h = await backfilled(150);
    const old = h.adapter.dataset.registrations(["5000"])[0]!;
    const now = h.clock.now();
    h.adapter.dataset.upsertRegistration({ ...old, registrationId: "900002", registeredAt: now, modifiedAt: now, raw: {} });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.apiCalls])).toEqual([["incremental", 2]]);
    expect(h.adapter.calls.map((c) => [c.kind, c.modifiedSince !== undefined])).toEqual([
      ["registrations", true],
      ["removals", true],
    ]);
  });

  it("with room to spare, reads the removal feed when the pull found someone missing, and at the feed's cadence", async () => {
    const h = await backfilled(40, { removalsWithRoom: true });
    const changed = h.adapter.dataset.registrations(["5000"])[1]!;
    h.adapter.dataset.modifyRegistration(changed.registrationId, { bib: "42" }, h.clock.now());
    const quiet = await settle(h.clock, h.engine.runOnce());
    expect(quiet.passes.map((p) => [p.kind, p.updated, p.apiCalls])).toEqual([["reconcile", 1, 1]]);

    const [event] = await h.store.listEvents();
    await h.clock.advanceTo(event?.state.nextDueAt as Date);
    h.adapter.resetLog();
    const refunded = h.adapter.dataset.registrations(["5000"])[0]!;
    h.adapter.dataset.removeRegistration(refunded.registrationId, { reason: "removed", at: h.clock.now() });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.apiCalls, p.removed, p.vanished])).toEqual([["reconcile", 2, 1, 0]]);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    expect((await statusOf(h, refunded.registrationId))?.status).toBe("removed");

    // Registered and refunded between two passes: no pull sees it, the feed at its cadence does.
    const brief = registerAndRefund(h, changed, "99000001");
    await passAtFeedCadence(h);
    expect(h.adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    expect((await statusOf(h, brief.registrationId))?.status).toBe("removed");
  });

  it("is off with wholePullMaxRows 0", async () => {
    const h = await backfilled(40, { wholePullMaxRows: 0 });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.apiCalls])).toEqual([["incremental", 1]]);
  });
});
