import { describe, expect, it } from "vitest";
import { AuthError } from "@project88/core";
import { createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { connection, createHarness, settle, type Harness } from "./engine-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const START = new Date("2026-07-01T05:30:00Z");

/** Four races seen only by `ok` (starting through the simulated day) and one seen only by `bad`. */
function partners() {
  const ok = generateDataset({ races: 4, base: new Date("2026-07-01T09:00:00Z"), raceSpacingMs: 6 * HOUR, registrationsPerEvent: 3 });
  const bad = generateDataset({ seed: 2, races: 1, base: new Date("2026-07-01T10:00:00Z"), registrationsPerEvent: 3 });
  // Ids of the second dataset would collide with the first: move them out of the way.
  const badRaces = bad.races.map((r) => ({
    ...r,
    raceId: `9${r.raceId}`,
    visibleTo: ["bad"],
    events: r.events.map((e) => ({ ...e, raceId: `9${r.raceId}`, eventId: `9${e.eventId}` })),
  }));
  const badRegs = bad.registrations.map((g) => ({
    ...g,
    raceId: `9${g.raceId}`,
    eventId: `9${g.eventId}`,
    registrationId: `9${g.registrationId}`,
  }));
  return {
    okEvents: ok.races.flatMap((r) => r.events),
    dataset: {
      races: [...ok.races.map((r) => ({ ...r, visibleTo: ["ok"] })), ...badRaces],
      registrations: [...ok.registrations, ...badRegs],
    },
  };
}

/** Pass start instants per event. */
function syncTimes(h: Harness): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const entry of h.log) {
    if (entry.name !== "sync:start") continue;
    for (const id of (entry.payload as { eventIds: string[] }).eventIds) out.set(id, [...(out.get(id) ?? []), entry.at.getTime()]);
  }
  return out;
}

describe("a revoked credential is contained to its own connection", () => {
  it("in start, the other connection's events sync on time for a day while one key answers error 6 to every call; stop returns within its timeout", async () => {
    const { dataset, okEvents } = partners();
    const h = createHarness({ start: START, dataset, connections: [connection("ok"), connection("bad")], pollMs: 30_000 });
    h.adapter.failOn({ connectionId: "bad", error: new AuthError("[scripted] error 6 Invalid API key"), times: Infinity });
    await h.engine.start();
    await h.clock.advance(24 * HOUR);

    const okIds = new Set(okEvents.map((e) => e.eventId));
    expect(h.events("schedule:late").filter((l) => okIds.has(l.eventId))).toEqual([]);
    const syncs = syncTimes(h);
    for (const event of okEvents) {
      const times = syncs.get(event.eventId) ?? [];
      const start = event.startsAt.getTime();
      expect(times[0]).toBeLessThan(START.getTime() + MIN); // backfilled at once
      // Every gap within the tier's interval (a few seconds of token queueing at most).
      for (let i = 1; i < times.length; i++) {
        const prev = times[i - 1] as number;
        if (prev > start + HOUR) break;
        const untilStart = start - prev;
        const allowed = untilStart <= 4 * HOUR ? MIN : untilStart <= 24 * HOUR ? 15 * MIN : 240 * MIN;
        expect((times[i] as number) - prev).toBeLessThanOrEqual(allowed + 5_000);
      }
      // The high tier (4 h before to 1 h after the start) ran every minute when it fell in the day.
      if (start - 4 * HOUR >= START.getTime() && start + HOUR <= START.getTime() + 24 * HOUR) {
        expect(times.filter((t) => t >= start - 4 * HOUR && t <= start + HOUR).length).toBeGreaterThanOrEqual(300);
      }
    }

    // The revoked key is asked about once per pause (an hour), not every poll, and never waited on.
    const badCalls = h.adapter.calls.filter((c) => c.connectionId === "bad");
    expect(badCalls.length).toBeGreaterThan(0);
    expect(badCalls.length).toBeLessThanOrEqual(26);
    const skipped = h.events("discovery:skipped");
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((s) => s.connectionId === "bad" && s.reason === "paused" && s.pauseReason === "credentials rejected")).toBe(true);
    expect(
      h
        .events("discovery:finish")
        .filter((f) => f.connectionId === "ok")
        .every((f) => f.error === null),
    ).toBe(true);

    // Stop ends the loop and any discovery at once: within a 5 s timeout of clock time.
    await settle(h.clock, h.engine.stop({ timeoutMs: 5_000 }), 500, 10);
    expect(h.events("engine:stop")).toEqual([{ owner: "test-engine", graceful: true }]);
  });

  it("runOnce skips a paused connection's discovery instead of waiting out the pause, and stop ends a discovery that waits", async () => {
    const { dataset } = partners();
    const clock = new ManualClock(START);
    // One race per listing page, so a discovery makes several requests and can meet a pause midway.
    const adapter = createScriptedAdapter({ clock, dataset, racePageSize: 1 });
    const h = createHarness({
      clock,
      adapter,
      connections: [connection("ok", { budgetKey: "ok-key" }), connection("bad", { budgetKey: "bad-key" })],
    });
    await h.store.pauseBudget({ key: "bad-key", now: START, until: new Date(START.getTime() + HOUR), reason: "credentials rejected" });
    const first = await settle(h.clock, h.engine.runOnce(), 1000, 30);
    expect(first.discovered).toBe(true);
    expect(first.passes.length).toBeGreaterThan(0);
    expect(first.passes.every((p) => p.connectionId === "ok" && p.ok)).toBe(true);
    expect(h.events("discovery:skipped")).toMatchObject([
      { connectionId: "bad", reason: "paused", until: new Date(START.getTime() + HOUR) },
    ]);
    expect(h.adapter.calls.filter((c) => c.connectionId === "bad")).toEqual([]);

    // The 06:00 slot is due at 06:30. `ok`'s key is throttled for 50 s while its discovery is under
    // way: its next listing request waits that out in the budget, and stop() ends the wait.
    await h.clock.advanceTo(new Date(START.getTime() + HOUR));
    h.adapter.setDelay(10_000);
    const once = h.engine.runOnce();
    await h.clock.advance(1_000);
    await h.store.pauseBudget({
      key: "ok-key",
      now: h.clock.now(),
      until: new Date(h.clock.now().getTime() + 50_000),
      reason: "rate-limited",
    });
    await h.clock.advance(10_000);
    expect(
      h.adapter.calls.filter((c) => c.connectionId === "ok" && c.kind === "listRaces" && c.at.getTime() >= START.getTime() + HOUR),
    ).toHaveLength(1);
    const stopped = h.engine.stop({ timeoutMs: 5_000 });
    const [result] = await settle(h.clock, Promise.all([once, stopped]), 500, 10);
    expect(result.discovered).toBe(true);
    expect(h.events("discovery:finish").at(-1)).toMatchObject({ connectionId: "ok", error: { code: "ABORTED" } });
  });

  it("a background discovery the store cannot begin is reported as engine:error and retried, while passes go on", async () => {
    const { dataset } = partners();
    const h = createHarness({ start: START, dataset, connections: [connection("ok")], pollMs: 30_000 });
    h.store.failNext("beginDiscovery");
    await h.engine.start();
    await h.clock.advance(1_000);
    expect(h.events("engine:error")).toMatchObject([{ phase: "discovery", error: { code: "STORE" } }]);
    expect(h.events("discovery:start")).toEqual([]);
    await h.clock.advance(60_000);
    expect(h.events("discovery:finish")).toMatchObject([{ connectionId: "ok", error: null }]);
    await settle(h.clock, h.engine.stop({ timeoutMs: 5_000 }), 500, 10);
  });

  it("runOnce does not wait out an hour's pause: a pass queued for a connection paused under it stops and runs when the pause ends", async () => {
    const data = generateDataset({ races: 2, base: new Date("2026-07-01T09:00:00Z"), registrationsPerEvent: 6 });
    const clock = new ManualClock(START);
    const adapter = createScriptedAdapter({ clock, dataset: data, pageSize: 2, delayMs: 1_000 });
    const h = createHarness({ clock, adapter, connections: [connection("c1")] });
    await settle(h.clock, h.engine.runOnce(), 1000, 60);
    await h.clock.advance(60_000);
    // The partner revokes access to race 1000 mid-morning: its next call pauses the whole key.
    h.adapter.failOn({ raceId: "1000", error: new AuthError("[scripted] error 6 Invalid API key"), times: Infinity });
    // Both races are due; race 1001 needs a fresh full pull (several pages).
    await h.store.updateSchedule({
      now: h.clock.now(),
      patches: [
        { provider: "scripted", eventId: "5000", nextDueAt: h.clock.now() },
        { provider: "scripted", eventId: "5001", nextDueAt: h.clock.now(), backfilledAt: null, backfillAfter: null, cursorAt: null },
      ],
    });
    const result = await settle(h.clock, h.engine.runOnce(), 1000, 30);
    const byRace = new Map(result.passes.map((p) => [p.raceId, p]));
    expect(byRace.get("1000")?.error?.code).toBe("AUTH");
    // Race 1001's pass was between requests when the key was paused: it stopped at once.
    expect(byRace.get("1001")?.error).toMatchObject({ name: "ConnectionPausedError", code: "ABORTED" });
    const pausedUntil = (await h.store.getBudgets({ now: h.clock.now() }))[0]?.pausedUntil;
    const [, other] = await h.store.listEvents();
    expect(other?.state).toMatchObject({ eventId: "5001", nextDueAt: pausedUntil, failures: 0 });
  });
});
