import { describe, expect, it } from "vitest";
import { createSyncEngine, type CallContext, type EngineEvents, type ProviderAdapter } from "@project88/core";
import { createMemoryStore, createScriptedAdapter, generateDataset, ManualClock, type ScriptedAdapter } from "@project88/core/testing";
import { createProviderClock, type SkewReport } from "../src/clock-skew.js";
import { connection, settle } from "./engine-harness.js";

describe("provider clock", () => {
  it("measures local minus provider, corrects only when this host runs ahead, and reports changes beyond 5 s", async () => {
    const clock = new ManualClock("2026-07-01T12:00:00Z");
    const reports: SkewReport[] = [];
    const pc = createProviderClock(clock, (r) => reports.push(r));
    expect(pc.skewMs).toBeNull();
    expect(pc.correctionMs()).toBe(0);
    const at = (offsetMs: number) => new Date(clock.now().getTime() - offsetMs);
    pc.observe(at(900)); // a whole-second Date header: under 5 s, nothing reported
    expect([pc.skewMs, pc.correctionMs(), reports.length]).toEqual([900, 900, 0]);
    pc.observe(at(90_000));
    pc.observe(at(90_400)); // steady: reported once
    expect(reports.map((r) => [r.skewMs, r.exceeded])).toEqual([[90_000, true]]);
    expect(pc.correctionMs()).toBe(90_400);
    pc.observe(at(120_000)); // moved by 5 s or more: reported again
    pc.observe(at(-30_000)); // now behind the provider: no correction, reported
    expect(pc.correctionMs()).toBe(0);
    pc.observe(at(1_000)); // back within 5 s
    expect(reports.map((r) => [r.skewMs, r.exceeded])).toEqual([
      [90_000, true],
      [120_000, true],
      [-30_000, true],
      [1_000, false],
    ]);
    expect(reports[0]?.remoteTime.toISOString()).toBe("2026-07-01T11:58:30.000Z");
    pc.observe(new Date(Number.NaN));
    expect(pc.skewMs).toBe(1_000);
  });
});

/** The scripted provider, reporting a provider clock `offsetMs` from the engine's clock. */
function withProviderClock(adapter: ScriptedAdapter, clock: ManualClock, offsetMs: () => number): ProviderAdapter {
  const report = (ctx: CallContext) => ctx.observeServerTime?.(new Date(clock.now().getTime() + offsetMs()));
  return {
    provider: adapter.provider,
    listRaces: (conn, window, ctx) => {
      report(ctx);
      return adapter.listRaces(conn, window, ctx);
    },
    fetchRegistrations: (conn, args, ctx) => {
      report(ctx);
      return adapter.fetchRegistrations(conn, args, ctx);
    },
    fetchRemovals: (conn, args, ctx) => {
      report(ctx);
      return adapter.fetchRemovals(conn, args, ctx);
    },
  };
}

function setup(providerOffsetMs: number) {
  // Half an hour before the start: every pass runs the removal feed too.
  const clock = new ManualClock("2026-07-04T12:30:00Z");
  const data = generateDataset({ races: 1, base: new Date("2026-07-04T13:00:00Z"), registrationsPerEvent: 20 });
  const scripted = createScriptedAdapter({ clock, dataset: data });
  const store = createMemoryStore();
  const engine = createSyncEngine({
    adapters: [withProviderClock(scripted, clock, () => providerOffsetMs)],
    store,
    clock,
    connections: [connection()],
    owner: "skew-test",
    random: () => 0.5,
  });
  const skews: EngineEvents["clock:skew"][] = [];
  const finishes: EngineEvents["sync:finish"][] = [];
  engine.on("clock:skew", (p) => skews.push(p));
  engine.on("sync:finish", (p) => finishes.push(p));
  /** The provider's own clock, which stamps its changes. */
  const providerNow = () => new Date(clock.now().getTime() + providerOffsetMs);
  return { clock, scripted, store, engine, skews, finishes, providerNow };
}

describe("engine: the signpost is never later than the provider's clock", () => {
  it("a host 90 s ahead loses no change over several incremental passes", async () => {
    const { clock, scripted, store, engine, skews, finishes, providerNow } = setup(-90_000);
    await settle(clock, engine.runOnce());
    expect(skews).toHaveLength(1);
    expect(skews[0]).toMatchObject({ source: "provider", connectionId: "c1", provider: "scripted", skewMs: 90_000, exceeded: true });
    for (let round = 0; round < 4; round++) {
      const [event] = await store.listEvents();
      // 10 s after the pass, the provider stamps a change with its clock, 90 s behind this host's.
      await clock.advance(10_000);
      scripted.dataset.modifyRegistration("100003", { bib: `B${round}` }, providerNow());
      scripted.dataset.removeRegistration(String(100_010 + round), { at: providerNow() });
      await clock.advanceTo(event?.state.nextDueAt as Date);
      const signpost = clock.now().getTime();
      const result = await settle(clock, engine.runOnce());
      expect(result.passes.map((p) => [p.kind, p.ok])).toEqual([["incremental", true]]);
      const regs = await store.listRegistrations({ provider: "scripted" });
      expect(regs.find((r) => r.registrationId === "100003")?.bib, `round ${round}`).toBe(`B${round}`);
      expect(regs.find((r) => r.registrationId === String(100_010 + round))?.status, `round ${round}`).toBe("removed");
      expect(finishes.at(-1)?.cursorAt.getTime()).toBe(signpost - 90_000);
      const [after] = await store.listEvents();
      expect(after?.state.removalsCursorAt?.getTime()).toBe(signpost - 90_000);
    }
    const status = await engine.status();
    expect(status.connections[0]?.clockSkewMs).toBe(90_000);
    expect(skews).toHaveLength(1); // a steady skew is reported once
  });

  it("a host behind the provider keeps its own signpost (the cursor is already earlier) and reports the skew", async () => {
    const { clock, scripted, store, engine, skews, finishes, providerNow } = setup(90_000);
    await settle(clock, engine.runOnce());
    const [event] = await store.listEvents();
    await clock.advance(10_000);
    scripted.dataset.modifyRegistration("100003", { bib: "AHEAD" }, providerNow());
    await clock.advanceTo(event?.state.nextDueAt as Date);
    const signpost = clock.now().getTime();
    await settle(clock, engine.runOnce());
    expect(finishes.at(-1)?.cursorAt.getTime()).toBe(signpost);
    expect((await store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === "100003")?.bib).toBe("AHEAD");
    expect(skews.map((s) => [s.skewMs, s.exceeded])).toEqual([[-90_000, true]]);
    expect((await engine.status()).connections[0]?.clockSkewMs).toBe(-90_000);
  });

  it("a backfill measured during the pass itself keeps its cursor behind the provider's clock", async () => {
    // No discovery response reports a time here: the first measurement comes with the backfill's own pages.
    const { clock, scripted, store, engine, finishes } = setup(-90_000);
    await settle(clock, engine.discover());
    // Forget what discovery measured: a fresh engine on the same store.
    const fresh = createSyncEngine({
      adapters: [withProviderClock(scripted, clock, () => -90_000)],
      store,
      clock,
      connections: [connection()],
      owner: "skew-test-2",
      random: () => 0.5,
    });
    fresh.on("sync:finish", (p) => finishes.push(p));
    const signpost = clock.now().getTime();
    const result = await settle(clock, fresh.runOnce());
    expect(result.passes.map((p) => p.kind)).toEqual(["backfill"]);
    expect(finishes.at(-1)?.cursorAt.getTime()).toBe(signpost - 90_000);
    const [event] = await store.listEvents();
    expect(event?.state.cursorAt?.getTime()).toBe(signpost - 90_000);
  });
});
