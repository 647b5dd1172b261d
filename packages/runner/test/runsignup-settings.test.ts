import { ProviderError, type CallContext, type ProviderAdapter } from "@project88/core";
import { createCountingBudget } from "@project88/core/testing";
import { startFakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryStore } from "@project88/core/testing";
import { createLogger, defaultDeps, parseConfig, type AdapterSettings } from "../src/index.js";
import { openRuntime } from "../src/runtime.js";
import { Capture } from "./helpers.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

describe("the runtime hands the configuration on", () => {
  it("the runsignup section to the adapters, the clock section to the engine", async () => {
    const config = parseConfig(
      {
        connections: [{ id: "acme", provider: "runsignup", apiKey: "k-123456", apiSecret: "s-123456" }],
        runsignup: { connectionsPerOrigin: 3, bodyTimeout: "45s" },
        clock: { maxSkew: "10s", checkEvery: "2m" },
      },
      { env: {} },
    );
    let settings: AdapterSettings | undefined;
    let engineOptions: Parameters<typeof defaultDeps.createEngine>[0] | undefined;
    const runtime = await openRuntime({
      config,
      logger: createLogger({ stream: new Capture(), level: "silent" }),
      cwd: process.cwd(),
      migrate: false,
      deps: {
        openStore: async () => {
          const store = createMemoryStore();
          return { store, migrate: async () => ({ applied: [], version: 0 }), close: () => store.close() };
        },
        createAdapters: (hooks, s) => {
          settings = s;
          return defaultDeps.createAdapters(hooks, s);
        },
        createEngine: (options) => {
          engineOptions = options;
          return defaultDeps.createEngine(options);
        },
      },
    });
    await runtime.close();
    expect(settings?.runsignup).toEqual({ connectionsPerOrigin: 3, bodyTimeoutMs: 45_000 });
    expect(engineOptions).toMatchObject({ maxClockSkewMs: 10_000, clockCheckEveryMs: 120_000 });
  });
});

describe("the runsignup section reaches the adapter", () => {
  it("a response over runsignup.maxResponseBytes fails as a retryable ProviderError naming the limit", async () => {
    const fake = await startFakeRunSignup();
    open.push(fake);
    const key = fake.dataset.addKey("Acme Timing", { apiKey: "acme-key-123456", apiSecret: "acme-secret-123456" });
    const race = fake.dataset.addRace({
      keys: [key],
      timezone: "America/New_York",
      events: [{ startsAt: new Date(Date.now() + 86_400_000) }],
    });
    const config = parseConfig(
      {
        connections: [{ id: "acme", provider: "runsignup", apiKey: key.apiKey, apiSecret: key.apiSecret, baseUrl: fake.url }],
        runsignup: { maxResponseBytes: 65_536, headersTimeout: "5s" },
      },
      { env: {} },
    );
    const [adapter] = defaultDeps.createAdapters({}, { runsignup: config.runsignup }) as [ProviderAdapter & { close(): Promise<void> }];
    open.push(adapter);
    fake.faults.script({ kind: "oversize", bytes: 1024 * 1024 });
    const conn = { ...config.connections[0]!, budgetKey: "runsignup:acme", callsPerHour: 1000, maxInFlight: 2 };
    const ctx: CallContext = { budget: createCountingBudget(), signal: new AbortController().signal, now: new Date() };
    const pages = adapter.fetchRegistrations(conn, { raceId: String(race.raceId), eventIds: [String(race.events[0]!.eventId)] }, ctx);
    let error: unknown;
    try {
      for await (const _ of pages) {
        // drain
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as Error).message).toContain("over the 64 KB limit (maxResponseBytes 65536)");
  });
});
