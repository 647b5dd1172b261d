import { ProviderError } from "@project88/core";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter, DEFAULT_MAX_RESPONSE_BYTES, type RequestInfo } from "../src/index.js";
import { fakeConnection } from "../src/testing/index.js";
import { callContext, collect } from "./support/budget.js";
import { startEmptyFake } from "./support/fake.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

const MB = 1024 * 1024;

async function setup(
  adapterOptions: Parameters<typeof createRunSignupAdapter>[0] = {},
  fakeOptions: Parameters<typeof startEmptyFake>[0] = {},
) {
  const env = await startEmptyFake(fakeOptions);
  const reports: RequestInfo[] = [];
  const adapter = createRunSignupAdapter({ onRequest: (info) => reports.push(info), ...adapterOptions });
  open.push(env.fake, adapter);
  const key = env.dataset.addKey("Acme Timing");
  const race = env.dataset.addRace({ keys: [key], timezone: "America/New_York", events: [{ startsAt: new Date("2026-06-20T12:00:00Z") }] });
  for (let i = 0; i < 3; i++) env.dataset.create(race.events[0]!.eventId);
  const args = { raceId: String(race.raceId), eventIds: [String(race.events[0]!.eventId)] };
  return { ...env, adapter, key, conn: fakeConnection(key, env.fake.url), args, reports };
}

describe("response size limit", () => {
  it("defaults to 64 MB", () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(64 * MB);
  });

  it("abandons a 20 MB streamed body at the configured limit with a retryable ProviderError naming the size", async () => {
    const { fake, adapter, conn, args, reports } = await setup({ maxResponseBytes: MB });
    fake.faults.script({ kind: "oversize", bytes: 20 * MB, endpoint: "participants" });
    const error = await collect(adapter.fetchRegistrations(conn, args, callContext())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as Error).message).toMatch(
      /participants: the response body passed \d+ bytes \(1(\.\d)? MB\) and was abandoned, over the 1 MB limit \(maxResponseBytes 1048576\)/,
    );
    // The client hung up: the fake could not write the whole body (socket buffers hold a few MB at most).
    const call = fake.calls.find((c) => c.fault === "oversize")!;
    await expect.poll(() => call.done).toBe(true);
    expect(call.bytesSent).toBeLessThan(20 * MB);
    // The report names the status the oversized response came with.
    expect(reports.at(-1)).toMatchObject({ status: 200, error: expect.stringContaining("over the 1 MB limit") });
    // The next call is served normally on a fresh socket.
    const pages = await collect(adapter.fetchRegistrations(conn, args, callContext()));
    expect(pages.flatMap((p) => p.rows)).toHaveLength(3);
  });

  it("refuses a body whose Content-Length is over the limit before reading it", async () => {
    const { fake, adapter, conn, args } = await setup({ maxResponseBytes: MB });
    fake.faults.script({ kind: "oversize", bytes: 20 * MB, declareLength: true, endpoint: "participants" });
    const error = await collect(adapter.fetchRegistrations(conn, args, callContext())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toContain(`the response body declares ${20 * MB} bytes (20 MB), over the 1 MB limit`);
  });

  it("reads a body under the limit", async () => {
    const { fake, adapter, conn, args } = await setup({ maxResponseBytes: 2 * MB });
    fake.faults.script({ kind: "oversize", bytes: MB, endpoint: "participants" });
    // A 1 MB JSON string is read whole, then rejected for its shape, not its size.
    const error = await collect(adapter.fetchRegistrations(conn, args, callContext())).catch((e: unknown) => e);
    expect((error as Error).name).toBe("SchemaError");
  });

  it("rejects a limit below 1 KB as a ConfigError", () => {
    expect(() => createRunSignupAdapter({ maxResponseBytes: 10 })).toThrow(/maxResponseBytes/);
  });
});

describe("redaction of the api key", () => {
  it("hands onRequest a URL with api_key and api_secret redacted", async () => {
    const { adapter, conn, args, reports, key } = await setup();
    await collect(adapter.fetchRegistrations(conn, args, callContext()));
    expect(reports).toHaveLength(1);
    const url = reports[0]!.url;
    expect(url).toContain("api_key=[redacted]");
    expect(url).toContain("api_secret=[redacted]");
    expect(url).not.toContain(key.apiKey);
    expect(url).toContain(`event_id=${args.eventIds[0]}`);
  });

  it("keeps the api key out of error messages built from the request", async () => {
    const { fake, adapter, conn, args, key } = await setup({ timeoutMs: 300 });
    for (const kind of ["reset", "slow", "http500", "truncated"] as const) {
      fake.faults.script({ kind, delayMs: 2000 });
      const error = await collect(adapter.fetchRegistrations(conn, args, callContext())).catch((e: unknown) => e);
      expect(String(error), kind).not.toContain(key.apiKey);
      expect(JSON.stringify(error), kind).not.toContain(key.apiKey);
    }
  });
});

describe("the provider's clock", () => {
  it("reports the Date header of every response to observeServerTime, following the fake's clock offset", async () => {
    const { fake, adapter, conn, args, clock } = await setup({}, { clockOffsetMs: -90_000 });
    const seen: Date[] = [];
    const ctx = { ...callContext(), observeServerTime: (at: Date) => seen.push(at) };
    await collect(adapter.fetchRegistrations(conn, args, ctx));
    fake.faults.script({ kind: "error", code: 4 });
    await collect(adapter.fetchRegistrations(conn, args, ctx)).catch(() => undefined);
    // The fake runs 90 s behind its base clock; the header has whole seconds.
    expect(seen.map((d) => d.toISOString())).toEqual([
      new Date(clock.ms - 90_000).toISOString(),
      new Date(clock.ms - 90_000).toISOString(),
    ]);
    expect(fake.now().getTime()).toBe(clock.ms - 90_000);
    // Mutations are stamped by the fake's own clock.
    const reg = fake.dataset.register(Number(args.eventIds[0]));
    expect(reg.modifiedAt).toBe(Math.floor((clock.ms - 90_000) / 1000));
  });

  it("an observer that throws does not fail the request", async () => {
    const { adapter, conn, args } = await setup();
    const ctx = {
      ...callContext(),
      observeServerTime: () => {
        throw new Error("listener bug");
      },
    };
    const pages = await collect(adapter.fetchRegistrations(conn, args, ctx));
    expect(pages.flatMap((p) => p.rows)).toHaveLength(3);
  });
});
