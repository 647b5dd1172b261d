import { ProviderError } from "@project88/core";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter } from "../src/index.js";
import { fakeConnection } from "../src/testing/index.js";
import { callContext, collect, createTestBudget } from "./support/budget.js";
import { startEmptyFake } from "./support/fake.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup(adapterOptions: Parameters<typeof createRunSignupAdapter>[0] = {}, maxConcurrent = 2) {
  const env = await startEmptyFake({ limits: { maxConcurrent } });
  const adapter = createRunSignupAdapter(adapterOptions);
  open.push(env.fake, adapter);
  const slowKey = env.dataset.addKey("Slow Timing");
  const fastKey = env.dataset.addKey("Fast Timing");
  const raceOf = (key: typeof slowKey, day: number) => {
    const race = env.dataset.addRace({
      keys: [key],
      timezone: "America/New_York",
      events: [{ startsAt: new Date(Date.UTC(2026, 5, day, 12)) }],
    });
    for (let i = 0; i < 5; i++) env.dataset.create(race.events[0]!.eventId);
    return { raceId: String(race.raceId), eventIds: [String(race.events[0]!.eventId)] };
  };
  return { ...env, adapter, slowKey, fastKey, raceOf };
}

describe("sockets", () => {
  it("a connection's requests never wait for a socket behind another connection's slow responses", async () => {
    const { fake, adapter, slowKey, fastKey, raceOf } = await setup({ timeoutMs: 2000 });
    const slow = fakeConnection(slowKey, fake.url);
    const fast = fakeConnection(fastKey, fake.url);
    const slowArgs = [raceOf(slowKey, 10), raceOf(slowKey, 11)];
    const fastArgs = [raceOf(fastKey, 12), raceOf(fastKey, 13), raceOf(fastKey, 14)];
    // The slow partner's responses take 4 s; its own requests simply wait for them.
    fake.faults.script(...slowArgs.map(() => ({ kind: "slow" as const, delayMs: 4000, apiKey: slowKey.apiKey })));
    const slowBudget = createTestBudget(2);
    const slowPending = Promise.allSettled(
      slowArgs.map((args) => collect(adapter.fetchRegistrations(slow, args, callContext(slowBudget)))),
    );
    while (fake.callsOf(slowKey).length < 2) await new Promise((r) => setImmediate(r));

    // Every socket the slow partner can use is busy; the other partner's calls go through at once.
    const fastBudget = createTestBudget(2);
    const results = await Promise.allSettled(
      fastArgs.map((args) => collect(adapter.fetchRegistrations(fast, args, callContext(fastBudget)))),
    );
    expect(results.map((r) => (r.status === "fulfilled" ? r.value.flatMap((p) => p.rows).length : String(r.reason)))).toEqual([5, 5, 5]);
    expect(fake.callsOf(slowKey).every((c) => !c.done)).toBe(true);

    // The slow responses were late, not lost: past the 2 s headers timeout, they fail as timeouts.
    const slowResults = await slowPending;
    for (const r of slowResults) {
      expect(r.status).toBe("rejected");
      const error = (r as PromiseRejectedResult).reason as ProviderError;
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/no response headers within 2000 ms of sending the request/);
    }
  });

  it("starts a request's timeout when it is sent, not while it waits for a socket", async () => {
    // One socket for the connection, and a budget that lets two requests go: the second waits
    // a whole slow response for the socket, then gets its own answer well within its timeout.
    // Each answer takes 1.5 s and the timeout is 2.25 s: the second request is answered 3 s after
    // it was queued, but 1.5 s after it was sent.
    const { fake, adapter, slowKey, raceOf } = await setup({ timeoutMs: 2250, connectionsPerOrigin: 1 });
    const conn = fakeConnection(slowKey, fake.url, { maxInFlight: 1 });
    const args = [raceOf(slowKey, 10), raceOf(slowKey, 11)];
    fake.faults.script({ kind: "slow", delayMs: 1500 }, { kind: "slow", delayMs: 1500 });
    const budget = createTestBudget(2);
    const results = await Promise.allSettled(args.map((a) => collect(adapter.fetchRegistrations(conn, a, callContext(budget)))));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value.flatMap((p) => p.rows).length : String(r.reason)))).toEqual([5, 5]);
    // They really shared one socket: the second arrived only after the first was answered.
    expect(fake.maxInFlight(slowKey)).toBe(1);
  });

  it("sizes each connection's pool to its maxInFlight by default", async () => {
    const { fake, adapter, slowKey, raceOf } = await setup({ timeoutMs: 5000 }, 6);
    const conn = fakeConnection(slowKey, fake.url, { maxInFlight: 3 });
    const args = [10, 11, 12, 13, 14, 15].map((d) => raceOf(slowKey, d));
    fake.faults.script(...args.map(() => ({ kind: "slow" as const, delayMs: 300 })));
    // A budget wider than the pool: the pool, not the budget, caps the sockets here.
    const budget = createTestBudget(6);
    await Promise.all(args.map((a) => collect(adapter.fetchRegistrations(conn, a, callContext(budget)))));
    expect(fake.maxInFlight(slowKey)).toBe(3);
  });

  it("closes a removed connection's pool and opens a new one if it is used again", async () => {
    const { fake, adapter, slowKey, fastKey, raceOf } = await setup();
    const a = fakeConnection(slowKey, fake.url);
    const b = fakeConnection(fastKey, fake.url);
    const argsA = raceOf(slowKey, 10);
    const argsB = raceOf(fastKey, 11);
    await collect(adapter.fetchRegistrations(a, argsA, callContext()));
    await collect(adapter.fetchRegistrations(b, argsB, callContext()));
    const sockets = () => new Set(fake.calls.map((c) => c.socket)).size;
    expect(sockets()).toBe(2);
    await adapter.closeConnection(a.id);
    // b keeps its keep-alive socket; a gets a fresh one.
    await collect(adapter.fetchRegistrations(b, argsB, callContext()));
    await collect(adapter.fetchRegistrations(a, argsA, callContext()));
    expect(fake.calls.map((c) => c.socket)).toEqual([1, 2, 2, 3]);
  });
});
