import { describe, expect, it } from "vitest";
import { ClockSkewError, ConfigError, createSyncEngine, type EngineEvents } from "@project88/core";
import { createMemoryStore, createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { connection, settle } from "./engine-harness.js";

function setup(options: { databaseOffsetMs: () => number; maxClockSkewMs?: number | null; clockCheckEveryMs?: number }) {
  const clock = new ManualClock("2026-07-04T12:30:00Z");
  const data = generateDataset({ races: 2, base: new Date("2026-07-04T13:00:00Z"), registrationsPerEvent: 5 });
  const store = createMemoryStore({ now: () => new Date(clock.now().getTime() + options.databaseOffsetMs()) });
  const engine = createSyncEngine({
    adapters: [createScriptedAdapter({ clock, dataset: data })],
    store,
    clock,
    connections: [connection()],
    owner: "db-clock-test",
    random: () => 0.5,
    ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
    ...(options.clockCheckEveryMs === undefined ? {} : { clockCheckEveryMs: options.clockCheckEveryMs }),
  });
  const skews: EngineEvents["clock:skew"][] = [];
  engine.on("clock:skew", (p) => skews.push(p));
  return { clock, store, engine, skews };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("engine: this host's clock against the database's", () => {
  it("start() refuses with a ClockSkewError naming both instants, and takes no lease", async () => {
    const { engine, store, skews } = setup({ databaseOffsetMs: () => -95_000 });
    const error = await rejection(engine.start());
    expect(error).toBeInstanceOf(ClockSkewError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "[core] this host's clock (2026-07-04T12:30:00.000Z) and the database's (2026-07-04T12:28:25.000Z) differ by 95.0 s, " +
        "more than the 30 s allowed (maxClockSkewMs): leases and budgets shared with other processes would be wrong; " +
        "correct the host's time (NTP) or raise maxClockSkewMs",
    );
    expect(error).toMatchObject({ skewMs: 95_000, limitMs: 30_000 });
    expect(skews).toEqual([
      {
        source: "database",
        connectionId: null,
        provider: null,
        skewMs: 95_000,
        localTime: new Date("2026-07-04T12:30:00Z"),
        remoteTime: new Date("2026-07-04T12:28:25Z"),
        exceeded: true,
      },
    ]);
    expect(store.calls.claimDue ?? 0).toBe(0);
    expect(store.calls.beginDiscovery ?? 0).toBe(0);
    expect((await engine.status()).running).toBe(false);
    expect((await engine.status()).databaseClockSkewMs).toBe(95_000);
  });

  it("runOnce(), discover() and syncEvent() refuse the same way", async () => {
    const { engine, store } = setup({ databaseOffsetMs: () => 45_000 });
    expect(await rejection(engine.runOnce())).toBeInstanceOf(ClockSkewError);
    expect(await rejection(engine.discover())).toBeInstanceOf(ClockSkewError);
    expect(await rejection(engine.syncEvent({ provider: "scripted", eventId: "5000" }))).toBeInstanceOf(ClockSkewError);
    expect(store.calls.claimDue ?? 0).toBe(0);
    expect(store.calls.listEvents ?? 0).toBe(0);
  });

  it("runs when the clocks agree within the limit, and with the check turned off", async () => {
    const within = setup({ databaseOffsetMs: () => 20_000 });
    const result = await settle(within.clock, within.engine.runOnce());
    expect(result.passes.filter((p) => p.ok)).toHaveLength(2);
    expect(within.skews).toEqual([]);
    expect((await within.engine.status()).databaseClockSkewMs).toBe(-20_000);
    const off = setup({ databaseOffsetMs: () => 3_600_000, maxClockSkewMs: null });
    expect((await settle(off.clock, off.engine.runOnce())).passes).toHaveLength(2);
    expect(off.store.calls.databaseNow ?? 0).toBe(0);
  });

  it("a database that cannot answer at start is the loop's to retry: start() resolves and work begins once it answers", async () => {
    const { clock, engine, store } = setup({ databaseOffsetMs: () => 0 });
    store.failNext("databaseNow");
    store.failNext("databaseNow");
    await engine.start();
    await clock.advance(3_000);
    expect(store.calls.databaseNow).toBe(3);
    expect((await store.listEvents()).every((e) => e.state.backfilledAt !== null)).toBe(true);
    await settle(clock, engine.stop({ timeoutMs: 10_000 }));
  });

  it("a running engine re-checks periodically: it stops claiming while the clocks disagree and resumes after", async () => {
    let offset = 0;
    const { clock, engine, store, skews } = setup({ databaseOffsetMs: () => offset, clockCheckEveryMs: 60_000 });
    await engine.start();
    await clock.advance(5_000);
    expect((await store.listEvents()).every((e) => e.state.backfilledAt !== null)).toBe(true);
    const checks = store.calls.databaseNow ?? 0;
    expect(checks).toBe(1); // the check at start; the next is due a minute later
    // The host's clock jumps 2 min ahead of the database's.
    offset = -120_000;
    await clock.advance(61_000);
    expect(skews.map((s) => [s.source, s.skewMs, s.exceeded])).toEqual([["database", 120_000, true]]);
    const claimsWhileSkewed = store.calls.claimDue ?? 0;
    await clock.advance(180_000); // due work piles up, nothing is claimed
    expect(store.calls.claimDue ?? 0).toBe(claimsWhileSkewed);
    expect((await engine.status()).databaseClockSkewMs).toBe(120_000);
    offset = 0;
    await clock.advance(2_000);
    expect(skews.map((s) => [s.skewMs, s.exceeded])).toEqual([
      [120_000, true],
      [0, false],
    ]);
    await clock.advance(2_000);
    expect(store.calls.claimDue ?? 0).toBeGreaterThan(claimsWhileSkewed);
    await settle(clock, engine.stop({ timeoutMs: 10_000 }));
  });
});
