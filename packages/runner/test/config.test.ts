import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@project88/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, runCli } from "../src/index.js";
import { captureIo } from "./helpers.js";
import { BAD, env, good } from "./support/bad-configs.js";

describe("configuration", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p88-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("parses a good file: secrets become Secrets, durations ms, DATABASE_URL overrides", () => {
    const config = parseConfig(
      { ...good(), database: { url: "postgres://file/db" } },
      { env: { ...env, DATABASE_URL: "postgres://env/db" } },
    );
    expect(config.connections[0]?.credentials.apiKey?.reveal()).toBe("key-1");
    expect(String(config.connections[0]?.credentials.apiSecret)).toBe("[redacted]");
    expect(JSON.stringify(config)).not.toContain("secret-1");
    expect(config.schedule.tiers?.[0]).toEqual({ name: "high", withinMs: 4 * 3_600_000, everyMs: 60_000 });
    expect(config.schedule.overlapMs).toBe(60_000);
    expect(config.databaseSource).toBe("DATABASE_URL");
    expect(config.databaseUrl?.reveal()).toBe("postgres://env/db");
    expect(config.tierOrder).toEqual(["high", "medium", "low", "done"]);
  });

  it("reads history retention: durations, null to keep a table whole, core's defaults when absent", () => {
    const config = parseConfig(
      { ...good(), history: { runsMaxAge: "30d", statusChangesMaxAge: null, batchSize: 200, recentEvents: "2d" } },
      { env },
    );
    expect(config.history).toEqual({ runsMaxAgeMs: 30 * 86_400_000, statusChangesMaxAgeMs: null, batchSize: 200 });
    expect(config.recentEventsMs).toBe(2 * 86_400_000);
    expect(parseConfig(good(), { env }).history).toEqual({});
    expect(() => parseConfig({ ...good(), history: { runsMaxAge: "0s" } }, { env })).toThrow(/history\.runsMaxAge/);
    expect(() => parseConfig({ ...good(), history: { keepRuns: "1d" } }, { env })).toThrow(ConfigError);
  });

  it("maps the runsignup section onto the adapter's network options, leaving absent keys to its defaults", () => {
    const config = parseConfig(
      {
        ...good(),
        runsignup: { connectionsPerOrigin: 4, connectTimeout: "5s", headersTimeout: "20s", bodyTimeout: "45s", maxResponseBytes: 1048576 },
      },
      { env },
    );
    expect(config.runsignup).toEqual({
      connectionsPerOrigin: 4,
      connectTimeoutMs: 5000,
      headersTimeoutMs: 20_000,
      bodyTimeoutMs: 45_000,
      maxResponseBytes: 1048576,
    });
    expect(parseConfig({ ...good(), runsignup: { headersTimeout: "10s" } }, { env }).runsignup).toEqual({ headersTimeoutMs: 10_000 });
    expect(parseConfig(good(), { env }).runsignup).toBeUndefined();
  });

  it("maps the clock section onto the engine's database clock check (null turns it off)", () => {
    expect(parseConfig({ ...good(), clock: { maxSkew: "10s", checkEvery: "1m" } }, { env }).clock).toEqual({
      maxClockSkewMs: 10_000,
      clockCheckEveryMs: 60_000,
    });
    expect(parseConfig({ ...good(), clock: { maxSkew: null } }, { env }).clock).toEqual({
      maxClockSkewMs: null,
      clockCheckEveryMs: undefined,
    });
    expect(parseConfig(good(), { env }).clock).toBeUndefined();
  });

  it("takes every schedule option core has, under its file name, and lets core check the values", () => {
    const schedule = {
      stopAfterStart: "2h",
      discoveryTimes: ["05:30"],
      discoveryLookBehind: "2d",
      discoveryLookAhead: "30d",
      overlap: "90s",
      removalsEveryPassWithin: "2h",
      removalsEvery: "30m",
      reconcileWithin: "3d",
      reconcileEvery: "12h",
      maxVanishShare: 0.5,
      backoffBase: "10s",
      backoffMax: "5m",
    };
    const config = parseConfig({ ...good(), schedule }, { env });
    expect(config.schedule).toEqual({
      stopAfterStartMs: 7_200_000,
      discoveryTimes: ["05:30"],
      discoveryLookBehindMs: 172_800_000,
      discoveryLookAheadMs: 2_592_000_000,
      overlapMs: 90_000,
      removalsEveryPassWithinMs: 7_200_000,
      removalsEveryMs: 1_800_000,
      reconcileWithinMs: 259_200_000,
      reconcileEveryMs: 43_200_000,
      maxVanishShare: 0.5,
      backoffBaseMs: 10_000,
      backoffMaxMs: 300_000,
    });
    const issues = (bad: Record<string, unknown>) => {
      try {
        parseConfig({ ...good(), schedule: bad }, { env });
      } catch (e) {
        return (e as ConfigError).issues;
      }
      return [];
    };
    expect(issues({ overlapMs: 60_000 })[0]?.path).toBe("schedule.overlapMs");
    expect(issues({ backoffBase: "10m", backoffMax: "1m" })).toEqual([
      { path: "schedule.backoffMax", message: "must be at least backoffBaseMs" },
    ]);
    expect(issues({ maxVanishShare: 2 })[0]?.path).toBe("schedule.maxVanishShare");
  });

  it("engine timing and the participants page size reach the engine and the adapter", async () => {
    const config = parseConfig({ ...good(), engine: { lease: "5s", poll: "250ms" }, runsignup: { pageSize: 500 } }, { env });
    expect(config.engine).toEqual({ leaseMs: 5_000, pollMs: 250 });
    expect(config.runsignup).toEqual({ pageSize: 500 });
    const file = join(dir, "timing.json");
    await writeFile(file, JSON.stringify({ ...good(), engine: { lease: "5s", poll: "250ms" }, runsignup: { pageSize: 500 } }));
    const seen: { engine?: unknown; adapter?: unknown } = {};
    const code = await runCli(["once", "--config", file, "--no-migrate"], captureIo(env, dir), {
      openStore: async () => ({ store: {} as never, migrate: async () => ({ applied: [], version: 1 }), close: async () => undefined }),
      createAdapters: (_hooks, settings) => {
        seen.adapter = settings?.runsignup;
        return [];
      },
      createEngine: (options) => {
        seen.engine = { leaseMs: options.leaseMs, pollMs: options.pollMs };
        throw new Error("stop here");
      },
    });
    expect(code).toBe(1);
    expect(seen).toEqual({ engine: { leaseMs: 5_000, pollMs: 250 }, adapter: { pageSize: 500 } });
  });

  it("uses the embedded database with neither database.url nor DATABASE_URL", () => {
    const config = parseConfig(good(), { env });
    expect(config.databaseSource).toBe("embedded");
    expect(config.databaseUrl).toBeNull();
  });

  it("names a missing variable, never a value", () => {
    const c = good();
    (c.connections[0] as Record<string, unknown>).apiSecret = { env: "ACME_SECRET_MISSING" };
    const error = (() => {
      try {
        parseConfig(c, { env: { ...env, OTHER: "hunter2-value" } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: "connections[0].apiSecret", message: "environment variable ACME_SECRET_MISSING is not set" },
    ]);
    expect((error as Error).message).not.toContain("hunter2");
  });

  it.each(BAD)("%s: exit 2 naming %s", async (_name, mutate, path, word) => {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify(mutate(good() as never)));
    const io = captureIo(env, dir);
    const code = await runCli(["once", "--config", file], io, {
      openStore: () => Promise.reject(new Error("nothing may start with a bad configuration")),
      createAdapters: () => [],
      createEngine: () => {
        throw new Error("nothing may start with a bad configuration");
      },
    });
    expect(code).toBe(2);
    expect(io.stderr.text).toContain(`${path}: `);
    expect(io.stderr.text.split(`${path}: `)[1]?.split("\n")[0]).toContain(word);
    expect(io.stdout.text).toBe("");
  });

  it("a missing file and invalid JSON exit 2", async () => {
    const io = captureIo(env, dir);
    expect(await runCli(["status", "--config", "nope.json"], io)).toBe(2);
    expect(io.stderr.text).toContain("nope.json: file not found");
    const file = join(dir, "broken.json");
    await writeFile(file, "{ not json");
    const io2 = captureIo(env, dir);
    expect(await runCli(["status", "--config", file], io2)).toBe(2);
    expect(io2.stderr.text).toContain("not valid JSON");
  });

  it("bad usage exits 2", async () => {
    for (const argv of [[], ["frobnicate"], ["sync"], ["sync", "nocolon"], ["plan", "--hours", "x"], ["start", "--bogus"]]) {
      const io = captureIo(env, dir);
      expect(await runCli(argv, io), argv.join(" ")).toBe(2);
    }
  });

  it("--help on each command exits 0 and lists its options", async () => {
    for (const command of ["start", "once", "discover", "sync", "status", "plan", "migrate", "demo"]) {
      const io = captureIo(env, dir);
      expect(await runCli([command, "--help"], io)).toBe(0);
      expect(io.stdout.text).toContain(`Usage: project88-sync ${command}`);
      expect(io.stdout.text).toContain(command === "demo" ? "--duration" : "--config");
    }
  });
});
