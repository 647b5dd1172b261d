import { describe, expect, it } from "vitest";
import { AuthError, StoreError, type Race } from "@project88/core";
import { createMemoryStore } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const DAY = 86_400_000;
const START = new Date("2026-07-01T00:00:00Z");
const at = (ms: number) => new Date(START.getTime() + ms);

/** A race of one event per start offset, provider "scripted". */
function race(raceId: string, offsets: readonly number[]): Race {
  return {
    provider: "scripted",
    raceId,
    name: `Race ${raceId}`,
    timezone: "UTC",
    nextDate: null,
    raw: {},
    events: offsets.map((o, i) => ({
      provider: "scripted",
      eventId: `${raceId}-${i}`,
      raceId,
      name: `Event ${i}`,
      startsAt: at(o),
      endsAt: null,
      raw: {},
    })),
  };
}

describe("status at flat cost with history", () => {
  it("lists the working set (not done, or ended within recentEventsMs) and counts the rest in the summary", async () => {
    const store = createMemoryStore();
    // Two seasons ago, last week (done), three days ago (done), and next month (not done).
    await store.saveDiscovery({
      connectionId: "c1",
      provider: "scripted",
      races: [race("old", [-400 * DAY, -10 * DAY, -3 * DAY]), race("next", [30 * DAY])],
      now: at(-500 * DAY),
      newEventPriority: 0,
    });
    await store.updateSchedule({
      now: START,
      patches: ["old-0", "old-1", "old-2"].map((eventId) => ({ provider: "scripted", eventId, nextDueAt: null })),
    });
    const h = createHarness({ start: START, store, recentEventsMs: 7 * DAY });
    const status = await h.engine.status();
    expect(status.events.map((e) => e.eventId)).toEqual(["old-2", "next-0"]);
    expect(status.summary).toEqual({ events: 4, done: 3, activeRegistrations: 0 });
  });

  it("status, plan and the budget watch never load every event", async () => {
    const store = createMemoryStore();
    await store.saveDiscovery({
      connectionId: "c1",
      provider: "scripted",
      races: [race("next", [2 * 3_600_000])],
      now: START,
      newEventPriority: 0,
    });
    const h = createHarness({ start: START, store });
    await h.engine.runOnce().catch(() => undefined);
    await h.engine.status();
    await h.engine.plan(24);
    expect(store.calls.listEvents ?? 0).toBe(0);
    expect(store.calls.listWorkingSet).toBeGreaterThanOrEqual(3);
  });

  it("ready() pings the store: true while running, false when stopped, a rejection when the store cannot answer", async () => {
    const h = createHarness({ start: START });
    expect(await h.engine.ready()).toBe(false);
    await h.engine.start();
    expect(await h.engine.ready()).toBe(true);
    h.store.failNext("ping");
    await expect(h.engine.ready()).rejects.toBeInstanceOf(StoreError);
    await h.engine.stop();
    expect(h.store.calls.listEvents ?? 0).toBe(0);
  });
});

describe("history retention in the running engine", () => {
  it("prunes finished runs older than runsMaxAgeMs in batches, keeps newer ones, and keeps a summary per event", async () => {
    const store = createMemoryStore();
    await store.saveDiscovery({
      connectionId: "c1",
      provider: "scripted",
      races: [race("r", [-300 * DAY])],
      now: at(-400 * DAY),
      newEventPriority: 0,
    });
    await store.updateSchedule({ now: START, patches: [{ provider: "scripted", eventId: "r-0", nextDueAt: null }] });
    const error = { name: "ProviderError", code: "PROVIDER", message: "x", retryable: true };
    const ref = { provider: "scripted", eventId: "r-0" };
    for (const day of [-200, -150, -120, -30]) {
      await store.claimEvents({ owner: "old", now: at(day * DAY), leaseMs: 60_000, refs: [ref] });
      const runId = await store.startRun({
        owner: "old",
        now: at(day * DAY),
        connectionId: "c1",
        provider: "scripted",
        raceId: "r",
        eventIds: ["r-0"],
        kind: "incremental",
      });
      await store.failRun({
        owner: "old",
        now: at(day * DAY),
        runId,
        provider: "scripted",
        eventIds: ["r-0"],
        apiCalls: 2,
        error,
        states: [],
      });
    }
    const h = createHarness({ start: START, store, history: { runsMaxAgeMs: 90 * DAY, batchSize: 2 } });
    await h.engine.start();
    for (let i = 0; i < 10; i++) await h.clock.advance(1000);
    await h.engine.stop();
    expect((await store.listRuns({ eventId: "r-0" })).map((r) => r.startedAt)).toEqual([at(-30 * DAY)]);
    expect(h.events("history:pruned").map((e) => e.runs)).toEqual([2, 1]);
    expect(await store.listHistorySummaries({ provider: "scripted" })).toMatchObject([
      { eventId: "r-0", runs: 3, failedRuns: 3, apiCalls: 6, firstRunAt: at(-200 * DAY), lastRunAt: at(-120 * DAY) },
    ]);
  });

  it("keeps everything when both ages are null", async () => {
    const h = createHarness({ start: START, history: { runsMaxAgeMs: null, statusChangesMaxAgeMs: null } });
    await h.engine.start();
    await h.clock.advance(5000);
    await h.engine.stop();
    expect(h.store.calls.pruneHistory ?? 0).toBe(0);
  });
});

describe("status summary", () => {
  it("reads the totals over all history at most once a minute; the working set every time", async () => {
    const h = createHarness({ start: START });
    await h.engine.status();
    await h.engine.status();
    await h.clock.advance(59_000);
    await h.engine.status();
    expect(h.store.calls.summarizeEvents).toBe(1);
    expect(h.store.calls.listWorkingSet).toBe(3);
    await h.clock.advance(1_000);
    await h.engine.status();
    expect(h.store.calls.summarizeEvents).toBe(2);
  });

  it("reads the totals again at once when the working set has more events than they count (a discovery since)", async () => {
    const h = createHarness({ start: START });
    expect((await h.engine.status()).summary.events).toBe(0);
    await h.store.saveDiscovery({
      connectionId: "c1",
      provider: "scripted",
      races: [race("r1", [DAY, 2 * DAY])],
      now: START,
      newEventPriority: 1,
    });
    const status = await h.engine.status();
    expect(status.summary.events).toBe(2);
    expect(h.store.calls.summarizeEvents).toBe(2);
  });

  it("a connection whose discovery failed shows that error, though no pass of it ever ran", async () => {
    const h = createHarness({ start: START });
    h.adapter.failOn({ kind: "listRaces", error: new AuthError("[scripted] error 6 Invalid API key"), times: Infinity });
    await settle(h.clock, h.engine.runOnce());
    const [conn] = (await h.engine.status()).connections;
    expect(conn?.lastError).toMatchObject({ code: "AUTH", message: "[scripted] error 6 Invalid API key" });
  });
});
