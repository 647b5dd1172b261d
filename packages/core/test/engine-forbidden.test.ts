import { describe, expect, it } from "vitest";
import { AuthError, ForbiddenError } from "@project88/core";
import { generateDataset } from "@project88/core/testing";
import { connection, createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-04T14:00:00Z");
const start = "2026-07-01T06:30:00Z";

const denied = (raceId: string) => new ForbiddenError(`[scripted] race ${raceId} participants: error 7 Permission Denied`, raceId);

/**
 * Race `shared` is seen by partners a and b, race `onlyA` by a alone. Partner b has a smaller
 * burst, so the engine picks a (more tokens) for the shared race first.
 */
function partners() {
  const dataset = generateDataset({ races: 2, base, registrationsPerEvent: 20 });
  const [first, second] = dataset.races;
  const shared = first!;
  const onlyA = { ...second!, visibleTo: ["a"] };
  const h = createHarness({
    start,
    dataset: { ...dataset, races: [shared, onlyA] },
    connections: [connection("a"), connection("b", { burst: 5 })],
  });
  return { h, shared: shared.raceId, onlyA: onlyA.raceId };
}

describe("a race refused to one connection (error 7)", () => {
  it("is marked forbidden for that connection, synced through the other one, and the connection is not paused", async () => {
    const { h, shared, onlyA } = partners();
    h.adapter.failOn({ connectionId: "a", raceId: shared, error: denied(shared), times: Infinity });
    const result = await settle(h.clock, h.engine.runOnce());

    expect(h.events("race:forbidden")).toEqual([
      expect.objectContaining({
        connectionId: "a",
        provider: "scripted",
        raceId: shared,
        otherConnectionIds: ["b"],
        error: expect.objectContaining({ code: "FORBIDDEN" }),
      }),
    ]);
    expect(h.events("budget:throttled")).toEqual([]);
    const budgets = await h.store.getBudgets({ now: h.clock.now() });
    for (const b of budgets) expect(b.pausedUntil).toBeNull();
    // The shared race was backfilled through b in the same run; a's other race through a.
    const finished = h.events("sync:finish");
    expect(finished.filter((f) => f.raceId === shared).map((f) => f.connectionId)).toEqual(["b"]);
    expect(finished.filter((f) => f.raceId === onlyA).map((f) => f.connectionId)).toEqual(["a"]);
    expect(result.passes.filter((p) => !p.ok).map((p) => [p.connectionId, p.raceId, p.error?.code])).toEqual([["a", shared, "FORBIDDEN"]]);
    for (const e of await h.store.listEvents()) {
      expect(e.state.backfilledAt).not.toBeNull();
      expect(e.forbidden.map((f) => f.connectionId)).toEqual(e.raceId === shared ? ["a"] : []);
    }

    // Shown in status, for the event and the connection.
    const status = await h.engine.status();
    const a = status.connections.find((c) => c.id === "a");
    expect(a?.pausedUntil).toBeNull();
    expect(a?.forbiddenRaces).toEqual([
      expect.objectContaining({
        provider: "scripted",
        raceId: shared,
        rerouted: true,
        error: expect.objectContaining({ code: "FORBIDDEN" }),
      }),
    ]);
    expect(status.connections.find((c) => c.id === "b")?.forbiddenRaces).toEqual([]);
    expect(status.events.filter((e) => e.raceId === shared).every((e) => e.forbidden[0]?.connectionId === "a")).toBe(true);

    // Later passes of the shared race go to b without asking a again.
    const events = await h.store.listEvents();
    await h.clock.advanceTo(Math.max(...events.map((e) => e.state.nextDueAt?.getTime() ?? 0)));
    h.adapter.resetLog();
    const later = await settle(h.clock, h.engine.runOnce());
    expect(later.failed).toBe(0);
    const sharedCalls = h.adapter.calls.filter((c) => c.raceId === shared);
    expect(sharedCalls.length).toBeGreaterThan(0);
    expect(sharedCalls.every((c) => c.connectionId === "b")).toBe(true);
  });

  it("with no other connection, waits without pausing the key until discovery sees the race again", async () => {
    const dataset = generateDataset({ races: 2, base, registrationsPerEvent: 20 });
    const [first, second] = dataset.races;
    const h = createHarness({ start, dataset: { ...dataset, races: [first!, second!] }, connections: [connection("a")], pollMs: 60_000 });
    const refused = first!.raceId;
    const other = second!.raceId;
    await settle(h.clock, h.engine.runOnce());
    h.adapter.failOn({ connectionId: "a", raceId: refused, error: denied(refused), times: 1 });
    const events = await h.store.listEvents();
    await h.clock.advanceTo(Math.max(...events.map((e) => e.state.nextDueAt?.getTime() ?? 0)));
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.find((p) => p.raceId === refused)?.error?.code).toBe("FORBIDDEN");
    expect(result.passes.find((p) => p.raceId === other)?.ok).toBe(true);
    expect(h.events("race:forbidden")[0]).toMatchObject({ raceId: refused, otherConnectionIds: [] });
    const [budget] = await h.store.getBudgets({ now: h.clock.now() });
    expect(budget?.pausedUntil).toBeNull();
    expect((await h.engine.status()).connections[0]?.forbiddenRaces).toEqual([
      expect.objectContaining({ raceId: refused, rerouted: false }),
    ]);

    // Until just before the 18:00 discovery: the other race keeps syncing on its 4-hour tier,
    // the refused one is not asked for again.
    h.adapter.resetLog();
    await h.engine.start();
    await h.clock.advanceTo(new Date("2026-07-01T17:59:00Z"));
    await settle(h.clock, h.engine.stop({ timeoutMs: 1000 }));
    expect(h.adapter.calls.some((c) => c.raceId === refused)).toBe(false);
    expect(h.adapter.calls.filter((c) => c.raceId === other && c.kind === "registrations").length).toBeGreaterThanOrEqual(1);

    // An operator's `sync` of one of its events says why nothing can run, without a request.
    const manual = await settle(h.clock, h.engine.syncEvent({ provider: "scripted", eventId: first!.events[0]!.eventId }));
    expect(manual).toMatchObject({ ok: false, apiCalls: 0, error: { code: "FORBIDDEN" } });
    expect(manual.error?.message).toContain(`race ${refused} is refused to a`);
    expect(h.adapter.calls.some((c) => c.raceId === refused)).toBe(false);

    // Discovery lists the race again for a: the mark is cleared and the race syncs.
    await settle(h.clock, h.engine.discover());
    expect((await h.store.listEvents()).flatMap((e) => e.forbidden)).toEqual([]);
    h.adapter.resetLog();
    const again = await settle(h.clock, h.engine.runOnce());
    expect(again.passes.find((p) => p.raceId === refused)?.ok).toBe(true);
  });

  it("backs off like any failure when the store cannot keep the mark, rather than asking again at once", async () => {
    const dataset = generateDataset({ races: 1, base, registrationsPerEvent: 5 });
    const h = createHarness({ start, dataset, connections: [connection("a")] });
    const raceId = dataset.races[0]!.raceId;
    h.adapter.failOn({ connectionId: "a", raceId, error: denied(raceId), times: Infinity });
    h.store.failNext("markForbidden");
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => p.error?.code)).toEqual(["FORBIDDEN"]);
    const [event] = await h.store.listEvents();
    expect(event?.forbidden).toEqual([]);
    expect(event?.state.nextDueAt?.getTime()).toBeGreaterThan(h.clock.now().getTime());
    expect(h.events("budget:throttled")).toEqual([]);
  });

  it("error 6 (credentials rejected) still pauses the whole connection", async () => {
    const { h, shared } = partners();
    h.adapter.failOn({ connectionId: "a", raceId: shared, error: new AuthError("[scripted] error 6 Key authentication failed"), times: 1 });
    await settle(h.clock, h.engine.runOnce());
    expect(h.events("race:forbidden")).toEqual([]);
    expect(h.events("budget:throttled")).toEqual([expect.objectContaining({ connectionId: "a", reason: "credentials rejected" })]);
  });
});
