import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@project88/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, runCli } from "../src/index.js";
import { captureIo } from "./helpers.js";

const good = () => ({
  schema: "project88_sync",
  connections: [
    { id: "acme", provider: "runsignup", apiKey: { env: "ACME_KEY" }, apiSecret: { env: "ACME_SECRET" }, callsPerHour: 1000, maxInFlight: 2 },
    { id: "zenith", provider: "runsignup", apiKey: "zk", apiSecret: "zs", baseUrl: "http://127.0.0.1:8080/Rest" },
  ],
  schedule: { tiers: [{ name: "high", within: "4h", every: "1m" }, { name: "medium", within: "24h", every: "15m" }, { name: "low", every: "240m" }], overlap: "60s" },
  http: { port: 9464 },
});
const env = { ACME_KEY: "key-1", ACME_SECRET: "secret-1" };

type Mutator = (c: ReturnType<typeof good> & Record<string, unknown>) => unknown;

/** Each bad configuration, the path the message must name, and a word of the problem. */
const BAD: readonly (readonly [string, Mutator, string, string])[] = [
  ["missing api secret", (c) => { delete (c.connections[1] as Record<string, unknown>).apiSecret; return c; }, "connections[1].apiSecret", "required"],
  ["no connections", (c) => ({ ...c, connections: [] }), "connections", "at least one"],
  ["connections missing", (c) => { delete (c as Record<string, unknown>).connections; return c; }, "connections", "required"],
  ["unknown provider", (c) => { (c.connections[0] as Record<string, unknown>).provider = "chronotrack"; return c; }, "connections[0].provider", "unsupported provider"],
  ["typo in a key", (c) => { (c.connections[0] as Record<string, unknown>).apiScret = "x"; return c; }, "connections[0].apiScret", "unknown key"],
  ["env var not set", (c) => { (c.connections[0] as Record<string, unknown>).apiKey = { env: "NOT_SET_ANYWHERE" }; return c; }, "connections[0].apiKey", "NOT_SET_ANYWHERE"],
  ["bad env name", (c) => { (c.connections[0] as Record<string, unknown>).apiKey = { env: "1-bad" }; return c; }, "connections[0].apiKey.env", "environment variable name"],
  ["plain http to a remote host", (c) => { (c.connections[1] as Record<string, unknown>).baseUrl = "http://runsignup.com/Rest"; return c; }, "connections[1].baseUrl", "https"],
  ["negative budget", (c) => { (c.connections[0] as Record<string, unknown>).callsPerHour = -5; return c; }, "connections[0].callsPerHour", "positive"],
  ["fractional in-flight", (c) => { (c.connections[0] as Record<string, unknown>).maxInFlight = 1.5; return c; }, "connections[0].maxInFlight", "whole number"],
  ["duplicate ids", (c) => { (c.connections[1] as Record<string, unknown>).id = "acme"; return c; }, "connections[1].id", "duplicate"],
  ["bad duration", (c) => { (c.schedule as Record<string, unknown>).overlap = "soon"; return c; }, "schedule.overlap", "duration"],
  ["bad tier", (c) => { c.schedule.tiers[1] = { name: "medium", within: "24h", every: "0m" }; return c; }, "schedule.tiers[1].every", "longer than zero"],
  ["reserved tier", (c) => { c.schedule.tiers[0] = { name: "done", within: "4h", every: "1m" }; return c; }, "schedule.tiers[0].name", "reserved"],
  ["bad discovery time", (c) => { (c.schedule as Record<string, unknown>).discoveryTimes = ["25:00"]; return c; }, "schedule.discoveryTimes[0]", "HH:MM"],
  ["port out of range", (c) => ({ ...c, http: { port: 70_000 } }), "http.port", "port"],
  ["bad schema name", (c) => ({ ...c, schema: "Robert'); DROP" }), "schema", "lower-case"],
  ["database url env missing", (c) => ({ ...c, database: { url: { env: "NO_DB_URL_HERE" } } }), "database.url", "NO_DB_URL_HERE"],
  ["not an object", () => [1, 2], "(root)", "object"],
];

describe("configuration", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p88-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("parses a good file: secrets become Secrets, durations ms, DATABASE_URL overrides", () => {
    const config = parseConfig({ ...good(), database: { url: "postgres://file/db" } }, { env: { ...env, DATABASE_URL: "postgres://env/db" } });
    expect(config.connections[0]?.credentials.apiKey?.reveal()).toBe("key-1");
    expect(String(config.connections[0]?.credentials.apiSecret)).toBe("[redacted]");
    expect(JSON.stringify(config)).not.toContain("secret-1");
    expect(config.schedule.tiers?.[0]).toEqual({ name: "high", withinMs: 4 * 3_600_000, everyMs: 60_000 });
    expect(config.schedule.overlapMs).toBe(60_000);
    expect(config.databaseSource).toBe("DATABASE_URL");
    expect(config.databaseUrl?.reveal()).toBe("postgres://env/db");
    expect(config.tierOrder).toEqual(["high", "medium", "low", "done"]);
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
    expect((error as ConfigError).issues).toEqual([{ path: "connections[0].apiSecret", message: "environment variable ACME_SECRET_MISSING is not set" }]);
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
      expect(io.stdout.text).toContain("--config");
    }
  });
});
