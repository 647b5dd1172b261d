import { ConfigError, secret, type Connection } from "@project88/core";
import { createCountingBudget } from "@project88/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter, type RequestInfo } from "../src/index.js";
import { fakeConnection, type FaultSpec } from "../src/testing/index.js";
import { callContext, collect } from "./support/budget.js";
import { startEmptyFake } from "./support/fake.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

describe("base URL policy", () => {
  it("refuses plain http to anything but loopback", () => {
    for (const bad of [
      "http://runsignup.com/Rest",
      "http://128.0.0.1/Rest",
      "http://localhost.example.com/Rest",
      "http://10.0.0.5:8080/Rest",
      "ftp://runsignup.com/Rest",
      "not a url",
      "https://user:pw@runsignup.com/Rest",
    ]) {
      expect(() => createRunSignupAdapter({ baseUrl: bad }), bad).toThrow(ConfigError);
    }
    for (const good of [
      "https://runsignup.com/Rest",
      "http://127.0.0.1:8080/Rest",
      "http://127.9.9.9/Rest",
      "http://localhost:3000/Rest",
      "http://[::1]:4000/Rest",
    ]) {
      expect(() => createRunSignupAdapter({ baseUrl: good }), good).not.toThrow();
    }
  });

  it("applies the same check to a connection's own base URL, before charging the budget", async () => {
    const adapter = createRunSignupAdapter();
    open.push(adapter);
    const conn: Connection = {
      id: "partner-x",
      provider: "runsignup",
      credentials: { apiKey: secret("k"), apiSecret: secret("s3cret") },
      baseUrl: "http://runsignup.example.com/Rest",
      budgetKey: "runsignup:partner-x",
      callsPerHour: 1000,
      maxInFlight: 2,
    };
    const budget = createCountingBudget();
    const error = await collect(adapter.fetchRegistrations(conn, { raceId: "1", eventIds: ["2"] }, callContext(budget))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]!.path).toBe("connections.partner-x.baseUrl");
    expect(budget.acquired).toBe(0);
  });

  it("rejects bad options and bad ids with a ConfigError naming each path", async () => {
    let error: unknown;
    try {
      createRunSignupAdapter({ pageSize: 3000, racePageSize: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(["pageSize", "racePageSize"]);
    const adapter = createRunSignupAdapter();
    open.push(adapter);
    const conn = { id: "c", provider: "runsignup", credentials: {}, budgetKey: "b", callsPerHour: 1, maxInFlight: 1 };
    expect(
      await collect(adapter.fetchRegistrations(conn, { raceId: "1/../x", eventIds: [] }, callContext())).catch((e: unknown) => e),
    ).toBeInstanceOf(ConfigError);
    expect(
      await collect(adapter.fetchRegistrations(conn, { raceId: "1", eventIds: ["2"] }, callContext())).catch((e: unknown) => e),
    ).toBeInstanceOf(ConfigError);
  });
});

describe("secrets never leak", () => {
  // Characters that URL-encode differently in different encoders, so every form is checked.
  const CANARY = "canary Zx9+q/=&secret";
  const forms = [CANARY, encodeURIComponent(CANARY), new URLSearchParams({ v: CANARY }).toString().slice(2)];

  function assertClean(value: unknown, label: string) {
    const texts = [
      value instanceof Error ? value.message : String(value),
      JSON.stringify(value),
      String((value as { cause?: unknown }).cause),
      (value as { stack?: string }).stack ?? "",
    ];
    for (const text of texts) for (const form of forms) expect(text.includes(form), `${label}: ${text}`).toBe(false);
  }

  const faults: FaultSpec[] = [
    { kind: "error", code: 7 },
    { kind: "error", code: 4 },
    { kind: "throttle" },
    { kind: "http500" },
    { kind: "html502" },
    { kind: "reset" },
    { kind: "truncated" },
    { kind: "slow", delayMs: 3000 },
    { kind: "http429" },
  ];

  for (const auth of ["key", "bearer"] as const) {
    it(`keeps a canary ${auth === "key" ? "api_secret" : "bearer token"} out of errors and request reports`, async () => {
      const { fake, dataset } = await startEmptyFake();
      const reports: RequestInfo[] = [];
      const adapter = createRunSignupAdapter({ timeoutMs: 400, onRequest: (info) => reports.push(info) });
      open.push(fake, adapter);
      const key = dataset.addKey("Canary", { apiSecret: CANARY, bearerToken: CANARY });
      const race = dataset.addRace({ keys: [key], timezone: "America/New_York", events: [{ startsAt: new Date("2026-06-02T12:00:00Z") }] });
      const conn = fakeConnection(key, fake.url, { auth });
      const args = { raceId: String(race.raceId), eventIds: [String(race.events[0]!.eventId)] };
      // The canary really is the working credential.
      expect(await collect(adapter.fetchRegistrations(conn, args, callContext()))).toEqual([{ rows: [], after: null }]);
      for (const fault of faults) {
        fake.faults.script(fault);
        const error = await collect(adapter.fetchRegistrations(conn, args, callContext())).catch((e: unknown) => e);
        expect(error, fault.kind).toBeInstanceOf(Error);
        assertClean(error, fault.kind);
      }
      // A refused connection (nothing listening) and a wrong race id.
      const dead = fakeConnection(key, "http://127.0.0.1:1/Rest", { auth });
      assertClean(await collect(adapter.fetchRegistrations(dead, args, callContext())).catch((e: unknown) => e), "refused");
      assertClean(
        await collect(adapter.fetchRegistrations(conn, { ...args, raceId: "42" }, callContext())).catch((e: unknown) => e),
        "201",
      );
      expect(reports.length).toBeGreaterThan(10);
      for (const report of reports) assertClean(JSON.stringify(report), "report");
      if (auth === "key") expect(reports[0]!.url).toContain("api_secret=[redacted]");
      assertClean(JSON.stringify(conn), "connection");
      assertClean(JSON.stringify(fake.calls), "call log");
    });
  }
});
