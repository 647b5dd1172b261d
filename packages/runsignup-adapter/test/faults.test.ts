import { AbortedError, ProviderError, RateLimitedError, SyncError, createBudget, systemClock } from "@project88/core";
import { createCountingBudget, createMemoryStore } from "@project88/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter } from "../src/index.js";
import { fakeConnection, type FaultSpec } from "../src/testing/index.js";
import { callContext, collect, createTestBudget } from "./support/budget.js";
import { startEmptyFake } from "./support/fake.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup(limits = {}, adapterOptions = {}) {
  const env = await startEmptyFake({ limits });
  const adapter = createRunSignupAdapter({ timeoutMs: 1500, ...adapterOptions });
  open.push(env.fake, adapter);
  const key = env.dataset.addKey("Acme Timing");
  const conn = fakeConnection(key, env.fake.url);
  const races = [0, 1, 2, 3, 4, 5].map((i) =>
    env.dataset.addRace({ keys: [key], timezone: "America/New_York", events: [{ startsAt: new Date(Date.UTC(2026, 5, 10 + i, 12)) }] }),
  );
  for (const race of races) for (let i = 0; i < 30; i++) env.dataset.create(race.events[0]!.eventId);
  const argsOf = (i: number) => ({ raceId: String(races[i]!.raceId), eventIds: [String(races[i]!.events[0]!.eventId)] });
  return { ...env, adapter, key, conn, argsOf };
}

describe("injected faults", () => {
  const cases: [string, FaultSpec, unknown, number | null][] = [
    ["HTTP 500", { kind: "http500" }, ProviderError, 500],
    ["HTTP 502", { kind: "http502" }, ProviderError, 502],
    ["HTTP 503", { kind: "http503" }, ProviderError, 503],
    ["an HTML 502 page", { kind: "html502" }, ProviderError, 502],
    ["an HTML page with HTTP 200", { kind: "http200-html" }, ProviderError, 200],
    ["a connection reset", { kind: "reset" }, ProviderError, null],
    ["truncated JSON", { kind: "truncated" }, ProviderError, 200],
    ["a response slower than the timeout", { kind: "slow", delayMs: 4000 }, ProviderError, null],
    ["error 14", { kind: "throttle" }, RateLimitedError, null],
    ["HTTP 429", { kind: "http429", retryAfterSeconds: 7 }, RateLimitedError, null],
  ];
  for (const [name, fault, cls, status] of cases) {
    it(`${name} yields a retryable ${(cls as { name: string }).name}`, async () => {
      const { fake, adapter, conn, argsOf } = await setup();
      fake.faults.script({ ...fault, endpoint: "participants" });
      const error = await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext())).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(cls);
      expect((error as SyncError).retryable).toBe(true);
      if (error instanceof ProviderError) expect(error.httpStatus).toBe(status);
      if (fault.kind === "http429") expect((error as RateLimitedError).retryAfterMs).toBe(7000);
      // The fault was spent; the next call succeeds.
      const pages = await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext()));
      expect(pages.flatMap((p) => p.rows)).toHaveLength(30);
    });
  }

  it("faults by rate hit some calls and never turn into empty pages", async () => {
    const { fake, adapter, conn, argsOf } = await setup();
    fake.faults.setRate(0.5, ["http503", "truncated", "reset", "throttle"], "participants");
    let failures = 0;
    for (let i = 0; i < 12; i++) {
      try {
        const rows = (await collect(adapter.fetchRegistrations(conn, argsOf(i % 6), callContext()))).flatMap((p) => p.rows);
        expect(rows).toHaveLength(30);
      } catch (error) {
        failures++;
        expect(error).toBeInstanceOf(SyncError);
        expect((error as SyncError).retryable).toBe(true);
      }
    }
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBe(fake.calls.filter((c) => c.fault !== null).length);
  });
});

describe("faults aimed at one key or one race", () => {
  it("a rule with apiKey fails only that key's requests; one with raceId only that race's", async () => {
    const { fake, adapter, conn, argsOf, dataset } = await setup();
    const other = dataset.addKey("Other Partner");
    const otherConn = fakeConnection(other, fake.url);
    // The other key sees race 1 too.
    dataset.races.get(Number(argsOf(1).raceId))!.keys.add(other.apiKey);
    fake.faults.setRate(1, ["error"], undefined, { apiKey: conn.credentials.apiKey!.reveal(), code: 6 });
    const revoked = await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext())).catch((e: unknown) => e);
    expect((revoked as SyncError).code).toBe("AUTH");
    expect((await collect(adapter.fetchRegistrations(otherConn, argsOf(1), callContext()))).flatMap((p) => p.rows)).toHaveLength(30);

    fake.faults.clear().setRate(1, ["error"], "participants", { raceId: Number(argsOf(2).raceId), code: 7 });
    const forbidden = await collect(adapter.fetchRegistrations(conn, argsOf(2), callContext())).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(SyncError);
    expect(fake.calls.at(-1)).toMatchObject({ errorCode: 7 });
    expect((await collect(adapter.fetchRegistrations(conn, argsOf(3), callContext()))).flatMap((p) => p.rows)).toHaveLength(30);
  });

  it("error 14 carries Retry-After only when the fault gives one (RunSignUp was never seen sending it)", async () => {
    const { fake, adapter, conn, argsOf } = await setup();
    fake.faults.script(
      { kind: "throttle", endpoint: "participants" },
      { kind: "throttle", endpoint: "participants", retryAfterSeconds: 2 },
    );
    const bare = await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext())).catch((e: unknown) => e);
    expect(bare).toBeInstanceOf(RateLimitedError);
    expect((bare as RateLimitedError).retryAfterMs).toBeNull();
    const timed = await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext())).catch((e: unknown) => e);
    expect((timed as RateLimitedError).retryAfterMs).toBe(2_000);
  });
});

describe("rewritten bodies and the fake's clock", () => {
  it("a rewrite fault sends what the function makes of the real body", async () => {
    const { fake, adapter, conn, argsOf } = await setup();
    fake.faults.script({
      kind: "rewrite",
      endpoint: "participants",
      rewrite: (body) => body.replace(/"first_name":"[^"]*"/, '"first_name":"Rewritten"'),
    });
    const rows = (await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext()))).flatMap((p) => p.rows);
    expect(rows.filter((r) => r.firstName === "Rewritten")).toHaveLength(1);
    fake.faults.script({ kind: "rewrite", endpoint: "participants", rewrite: () => "<html>not json" });
    expect(await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext())).catch((e: unknown) => e)).toBeInstanceOf(SyncError);
  });

  it("every response carries the fake's own clock in Date", async () => {
    const { fake, conn, clock } = await setup();
    clock.set("2026-06-01T12:00:00.000Z");
    const res = await fetch(
      `${fake.url}/races?format=json&api_key=${conn.credentials.apiKey!.reveal()}&api_secret=${conn.credentials.apiSecret!.reveal()}`,
    );
    expect(res.headers.get("date")).toBe("Mon, 01 Jun 2026 12:00:00 GMT");
  });
});

describe("budget and limits", () => {
  it("stays inside the fake's limits when driven through a 2-slot budget", async () => {
    const { fake, adapter, conn, argsOf, key } = await setup({ maxConcurrent: 2 }, { connectionsPerOrigin: 8 });
    // Slow responses make every request overlap with whatever else is in flight.
    fake.faults.script(...Array.from({ length: 6 }, () => ({ kind: "slow" as const, delayMs: 150 })));
    const budget = createTestBudget(2);
    const results = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => collect(adapter.fetchRegistrations(conn, argsOf(i), callContext(budget)))),
    );
    expect(results.map((pages) => pages.flatMap((p) => p.rows).length)).toEqual([30, 30, 30, 30, 30, 30]);
    expect(fake.callsOf(key).filter((c) => c.throttled !== null || c.errorCode === 14)).toHaveLength(0);
    expect(fake.maxInFlight(key)).toBeLessThanOrEqual(2);
    expect(budget.granted).toBe(6);
    expect(budget.inFlight).toBe(0);
  });

  it("stays inside the fake's limits when driven through core's store-backed budget", async () => {
    const { fake, adapter, conn, argsOf, key } = await setup({ maxConcurrent: 2 }, { connectionsPerOrigin: 8 });
    fake.faults.script(...Array.from({ length: 6 }, () => ({ kind: "slow" as const, delayMs: 100 })));
    const budget = createBudget({
      store: createMemoryStore(),
      clock: systemClock,
      key: conn.budgetKey,
      owner: "test",
      limits: { callsPerHour: 1000, burst: 100, maxInFlight: 2 },
      slotTtlMs: 60_000,
    });
    const results = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => collect(adapter.fetchRegistrations(conn, argsOf(i), callContext(budget)))),
    );
    expect(results.map((pages) => pages.flatMap((p) => p.rows).length)).toEqual([30, 30, 30, 30, 30, 30]);
    expect(fake.callsOf(key).filter((c) => c.throttled !== null)).toHaveLength(0);
    expect(fake.maxInFlight(key)).toBeLessThanOrEqual(2);
  });

  it("without a limiting budget the strict fake throttles (the check above has teeth)", async () => {
    const { fake, adapter, conn, argsOf, key } = await setup({ maxConcurrent: 2 }, { connectionsPerOrigin: 8 });
    fake.faults.script(...Array.from({ length: 6 }, () => ({ kind: "slow" as const, delayMs: 150 })));
    const budget = createCountingBudget();
    const outcomes = await Promise.allSettled(
      [0, 1, 2, 3, 4, 5].map((i) => collect(adapter.fetchRegistrations(conn, argsOf(i), callContext(budget)))),
    );
    const rejected = outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason);
    expect(rejected.length).toBeGreaterThan(0);
    for (const error of rejected) expect(error).toBeInstanceOf(RateLimitedError);
    expect(fake.callsOf(key).filter((c) => c.throttled === "concurrency").length).toBe(rejected.length);
    expect(budget.acquired).toBe(6);
    expect(budget.released).toBe(6);
  });

  it("enforces calls per rolling hour on the fake's clock", async () => {
    const { fake, clock, adapter, conn, argsOf, key } = await setup({ callsPerHour: 3 });
    for (let i = 0; i < 3; i++) await collect(adapter.fetchRegistrations(conn, argsOf(i), callContext()));
    const error = await collect(adapter.fetchRegistrations(conn, argsOf(3), callContext())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(fake.callsOf(key).at(-1)).toMatchObject({ throttled: "hourly", errorCode: 14 });
    clock.advance(3_600_001);
    await collect(adapter.fetchRegistrations(conn, argsOf(3), callContext()));
    expect(fake.limiter.usedInLastHour(key.apiKey)).toBe(1);
  });

  it("charges the budget before sending and sends nothing once the signal aborted", async () => {
    const { fake, adapter, conn, argsOf } = await setup();
    const controller = new AbortController();
    controller.abort(new Error("engine stopping"));
    const budget = createCountingBudget();
    const error = await collect(adapter.fetchRegistrations(conn, argsOf(0), callContext(budget, controller.signal))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbortedError);
    expect(fake.calls).toHaveLength(0);
    expect(budget.acquired).toBe(0);
  });

  it("aborts a request in flight when the signal aborts", async () => {
    const { fake, adapter, conn, argsOf } = await setup();
    fake.faults.script({ kind: "slow", delayMs: 10_000 });
    const controller = new AbortController();
    const budget = createCountingBudget();
    const pending = collect(adapter.fetchRegistrations(conn, argsOf(0), callContext(budget, controller.signal))).catch((e: unknown) => e);
    while (fake.calls.length === 0) await new Promise((r) => setImmediate(r));
    controller.abort(new Error("lease lost"));
    expect(await pending).toBeInstanceOf(AbortedError);
    expect(budget.released).toBe(1);
  });
});
