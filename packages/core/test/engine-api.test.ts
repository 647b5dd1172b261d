import { describe, expect, expectTypeOf, it } from "vitest";
import {
  ConfigError,
  createSyncEngine,
  type EngineEvents,
  type EventRef,
  type RowProblem,
  type SerializedError,
  type SkippedRace,
} from "@project88/core";
import { createMemoryStore, createScriptedAdapter, generateDataset } from "@project88/core/testing";
import { budgetKeyOf, connection, createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-04T14:00:00Z");

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("options", () => {
  it("are validated once into a ConfigError that names every bad path", () => {
    const adapter = createScriptedAdapter();
    const store = createMemoryStore();
    const error = configError(() =>
      createSyncEngine({
        adapters: [adapter],
        store,
        connections: [
          connection("c1", { callsPerHour: -5 }),
          { id: "c2", provider: "scripted", credentials: { key: "plain" as never } },
          connection("c3", { provider: "nobody" }),
          connection("c4", { burst: 20, urgentReserve: 20 }),
        ],
        schedule: {
          tiers: [
            { name: "wide", everyMs: 1000 },
            { name: "narrow", withinMs: 1000, everyMs: 10 },
          ],
          maxVanishShare: 2,
          discoveryTimes: ["25:00"],
        },
      }),
    );
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "connections.0.callsPerHour",
        "connections.1.credentials.key",
        "connections.2.provider",
        "connections.3.urgentReserve",
        "schedule.tiers.0.withinMs",
        "schedule.maxVanishShare",
        "schedule.discoveryTimes.0",
      ]),
    );
    expect(error.message).toContain("connections.0.callsPerHour");
    expect(error.code).toBe("CONFIG");
  });

  it("accepts the defaults", () => {
    const engine = createSyncEngine({ adapters: [createScriptedAdapter()], store: createMemoryStore(), connections: [connection()] });
    expect(engine.owner).toMatch(/^engine:/);
  });
});

describe("events", () => {
  it("a listener that throws cannot stop the engine; it is reported on listener:error", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: generateDataset({ races: 2, base }) });
    const seen: string[] = [];
    h.engine.on("sync:start", () => {
      throw new Error("listener bug");
    });
    h.engine.on("sync:start", (p) => seen.push(p.raceId));
    h.engine.on("listener:error", () => {
      throw new Error("even this one");
    });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.failed).toBe(0);
    expect(result.passes).toHaveLength(2);
    expect(seen.sort()).toEqual(["1000", "1001"]);
    const errors = h.events("listener:error");
    expect(errors).toHaveLength(2);
    expect(errors[0]?.event).toBe("sync:start");
    expect((errors[0]!.error as Error).message).toBe("listener bug");
  });

  it("a once listener runs for the first event only; a plain one for every event", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: generateDataset({ races: 2, base }) });
    let once = 0;
    let every = 0;
    h.engine.once("sync:start", () => once++);
    h.engine.on("sync:start", () => every++);
    await settle(h.clock, h.engine.runOnce());
    expect(every).toBe(2);
    expect(once).toBe(1);
  });

  it("payloads are typed", () => {
    const engine = createSyncEngine({ adapters: [createScriptedAdapter()], store: createMemoryStore(), connections: [connection()] });
    engine.on("sync:finish", (p) => {
      expectTypeOf(p.cursorAt).toEqualTypeOf<Date>();
      expectTypeOf(p.apiCalls).toEqualTypeOf<number>();
      expectTypeOf(p.eventIds).toEqualTypeOf<readonly string[]>();
    });
    engine.on("sync:error", (p) => {
      expectTypeOf(p.error).toEqualTypeOf<SerializedError>();
      expectTypeOf(p.retryAt).toEqualTypeOf<Date | null>();
    });
    engine.on("budget:over", (p) => expectTypeOf(p.deferred).toEqualTypeOf<readonly EventRef[]>());
    engine.on("schedule:late", (p) => expectTypeOf(p.lateByMs).toEqualTypeOf<number>());
    engine.on("clock:skew", (p) => {
      expectTypeOf(p.source).toEqualTypeOf<"provider" | "database">();
      expectTypeOf(p.connectionId).toEqualTypeOf<string | null>();
      expectTypeOf(p.skewMs).toEqualTypeOf<number>();
      expectTypeOf(p.remoteTime).toEqualTypeOf<Date>();
      expectTypeOf(p.exceeded).toEqualTypeOf<boolean>();
    });
    engine.on("discovery:skipped", (p) => {
      expectTypeOf(p.reason).toEqualTypeOf<"paused">();
      expectTypeOf(p.until).toEqualTypeOf<Date>();
      expectTypeOf(p.pauseReason).toEqualTypeOf<string | null>();
    });
    engine.on("sync:invalid", (p) => {
      expectTypeOf(p.problems).toEqualTypeOf<readonly RowProblem[]>();
      expectTypeOf(p.count).toEqualTypeOf<number>();
      expectTypeOf(p.feed).toEqualTypeOf<"registrations" | "removals">();
    });
    expectTypeOf<RowProblem>().toEqualTypeOf<{
      readonly registrationId: string | null;
      readonly eventId: string | null;
      readonly field: string;
      readonly reason: string;
      readonly skipped: boolean;
    }>();
    engine.on("discovery:finish", (p) => expectTypeOf(p.skipped).toEqualTypeOf<readonly SkippedRace[]>());
    engine.on("sync:finish", (p) => expectTypeOf(p.problems).toEqualTypeOf<number>());
    expectTypeOf<EngineEvents["engine:stop"]>().toEqualTypeOf<{ readonly owner: string; readonly graceful: boolean }>();
    // @ts-expect-error unknown event names do not compile
    engine.on("sync:done", () => undefined);
    // @ts-expect-error a payload field that does not exist
    engine.on("sync:page", (p) => p.cursorAt);
  });
});

describe("stop", () => {
  it("lets the page in flight commit, then stops gracefully with no lease held", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: generateDataset({ races: 1, base, registrationsPerEvent: 50 }) });
    h.adapter.setDelay(5_000);
    await h.engine.start();
    await h.clock.advance(5_500); // discovery answered; the backfill's first request is in flight
    expect(h.adapter.inFlight).toBe(1);
    await settle(h.clock, h.engine.stop({ timeoutMs: 60_000 }));
    expect(h.events("engine:stop")).toEqual([{ owner: "test-engine", graceful: true }]);
    const [event] = await h.store.listEvents();
    expect(event?.state.backfilledAt).not.toBeNull();
    expect(event?.state.leaseOwner).toBeNull();
    expect(await h.store.listRegistrations({ provider: "scripted" })).toHaveLength(50);
  });

  it("after the timeout it aborts the request, writes nothing of it and keeps the event due", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: generateDataset({ races: 1, base, registrationsPerEvent: 50 }) });
    await settle(h.clock, h.engine.runOnce());
    const [before] = await h.store.listEvents();
    await h.clock.advanceTo(before?.state.nextDueAt as Date);
    h.adapter.setDelay(600_000);
    await h.engine.start();
    await h.clock.advance(10);
    expect(h.adapter.inFlight).toBe(1);
    await settle(h.clock, h.engine.stop({ timeoutMs: 1_000 }));
    expect(h.events("engine:stop")).toEqual([{ owner: "test-engine", graceful: false }]);
    const [after] = await h.store.listEvents();
    expect(after?.state.cursorAt).toEqual(before?.state.cursorAt);
    expect(after?.state.nextDueAt).toEqual(before?.state.nextDueAt);
    expect(after?.state.failures).toBe(0);
    expect(after?.state.leaseOwner).toBeNull();
    const [run] = await h.store.listRuns({ limit: 1 });
    expect(run?.status).toBe("failed");
    expect(run?.error?.code).toBe("ABORTED");
  });
});

describe("stop during runOnce", () => {
  it("ends the drain with the passes already running and claims nothing more", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: generateDataset({ races: 6, base, registrationsPerEvent: 20 }) });
    await settle(h.clock, h.engine.discover());
    h.adapter.setDelay(5_000);
    const drain = h.engine.runOnce();
    await h.clock.advance(10);
    expect(h.adapter.inFlight).toBe(2); // two races started, four still due
    const stopped = h.engine.stop({ timeoutMs: 60_000 });
    const result = await settle(h.clock, drain);
    await settle(h.clock, stopped);
    expect(result.passes).toHaveLength(2);
    expect(result.passes.every((p) => p.ok)).toBe(true);
    const events = await h.store.listEvents();
    const backfilledRaces = new Set(events.filter((e) => e.state.backfilledAt !== null).map((e) => e.raceId));
    expect(backfilledRaces.size).toBe(2);
    expect(events.filter((e) => e.state.leaseOwner !== null)).toEqual([]);
    // The next run picks the rest up.
    const next = await settle(h.clock, h.engine.runOnce());
    expect(new Set(next.passes.map((p) => p.raceId)).size).toBe(4);
  });
});

describe("syncEvent", () => {
  it("runs one incremental pass, or a full reconciliation with { full: true }", async () => {
    const h = createHarness({ start: "2026-07-01T06:30:00Z", dataset: generateDataset({ races: 1, base, registrationsPerEvent: 20 }) });
    await settle(h.clock, h.engine.runOnce());
    const ref = { provider: "scripted", eventId: "5000" };
    const inc = await settle(h.clock, h.engine.syncEvent(ref));
    // registrations and the removal feed: an operator's "bring it up to date now" reads it although it is not due
    expect([inc.kind, inc.ok, inc.apiCalls]).toEqual(["incremental", true, 2]);
    h.adapter.dataset.dropRegistration("100001");
    const full = await settle(h.clock, h.engine.syncEvent(ref, { full: true }));
    expect([full.kind, full.ok, full.vanished]).toEqual(["reconcile", true, 1]);
    const reg = (await h.store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === "100001");
    expect(reg?.status).toBe("vanished");
    await expect(h.engine.syncEvent({ provider: "scripted", eventId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("status", () => {
  it("lists every event with its tier and next sync, and every connection with its budget", async () => {
    const h = createHarness({
      start: "2026-07-04T11:00:00Z",
      dataset: generateDataset({ races: 1, base, eventOffsetsMs: [0, 30 * 3_600_000] }),
    });
    await settle(h.clock, h.engine.runOnce());
    const status = await h.engine.status();
    expect(status.running).toBe(false);
    expect(status.events.map((e) => [e.eventId, e.tier, e.backfilled, e.registrations, e.late])).toEqual([
      ["5000", "high", true, 10, false],
      ["5001", "low", true, 10, false],
    ]);
    expect(status.events[0]?.nextSyncAt?.toISOString()).toBe("2026-07-04T11:01:00.000Z");
    expect(status.connections[0]).toMatchObject({
      id: "c1",
      budgetKey: budgetKeyOf("c1"),
      callsPerHour: 1000,
      maxInFlight: 2,
      callsLastHour: 3,
    }); // discovery, then one coalesced backfill: registrations + removals
    expect(status.connections[0]?.lastDiscovery?.status).toBe("succeeded");
    await h.clock.advance(10 * 60_000);
    expect((await h.engine.status()).events[0]?.late).toBe(true);
  });
});
