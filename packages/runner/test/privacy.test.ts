import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, createSyncEngine, type Race, type Registration } from "@project88/core";
import { createMemoryStore, createScriptedAdapter, type MemoryStore } from "@project88/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig, runCli, type RunnerDeps } from "../src/index.js";
import { captureIo } from "./helpers.js";
import { env, good } from "./support/bad-configs.js";

const DAY = 86_400_000;

/** A race whose one event started `daysAgo` days ago, with two people of one user and one other. */
async function seedOldRace(store: MemoryStore, daysAgo: number): Promise<Registration[]> {
  const startsAt = new Date(Date.now() - daysAgo * DAY);
  const race: Race = {
    provider: "runsignup",
    raceId: "77",
    name: "Old race",
    timezone: "UTC",
    nextDate: null,
    raw: {},
    events: [{ provider: "runsignup", eventId: "770", raceId: "77", name: "5K", startsAt, endsAt: null, raw: {} }],
  };
  await store.saveDiscovery({ connectionId: "acme", provider: "runsignup", races: [race], now: new Date(), newEventPriority: 0 });
  const person = (id: string, userId: string, firstName: string): Registration => ({
    provider: "runsignup",
    registrationId: id,
    raceId: "77",
    eventId: "770",
    userId,
    firstName,
    lastName: "Lovelace",
    gender: "F",
    dob: "1990-01-01",
    age: 36,
    bib: id,
    chip: null,
    email: `${firstName.toLowerCase()}@example.test`,
    phone: null,
    city: null,
    state: null,
    country: null,
    teamName: null,
    registeredAt: startsAt,
    modifiedAt: startsAt,
    raw: { first_name: firstName },
  });
  const rows = [person("1", "u1", "Ada"), person("2", "u1", "Ada"), person("3", "u3", "Grace")];
  const now = new Date();
  const refs = [{ provider: "runsignup", eventId: "770" }];
  await store.claimEvents({ owner: "seed", now, leaseMs: 60_000, refs });
  const runId = await store.startRun({
    owner: "seed",
    now,
    connectionId: "acme",
    provider: "runsignup",
    raceId: "77",
    eventIds: ["770"],
    kind: "backfill",
  });
  await store.commitPage({
    owner: "seed",
    now,
    runId,
    provider: "runsignup",
    eventIds: ["770"],
    registrations: rows,
    finish: { apiCalls: 1, states: [] },
  });
  return rows;
}

describe("personal data commands", () => {
  let dir: string;
  let store: MemoryStore;
  const deps = (): RunnerDeps => ({
    openStore: async () => ({ store, migrate: async () => ({ applied: [], version: 1 }), close: async () => undefined }),
    createAdapters: () => [createScriptedAdapter({ provider: "runsignup" })],
    createEngine: createSyncEngine,
  });
  const write = async (name: string, extra: object = {}) => {
    const path = join(dir, name);
    await writeFile(
      path,
      JSON.stringify({
        connections: [{ id: "acme", provider: "runsignup", apiKey: "key-123456", apiSecret: "secret-123456" }],
        http: { port: 0 },
        ...extra,
      }),
    );
    return path;
  };
  const run = async (argv: string[]) => {
    const io = captureIo({}, dir);
    const code = await runCli(argv, io, deps());
    return { code, out: io.stdout.text, err: io.stderr.text };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p88-privacy-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    store = createMemoryStore();
  });

  it("forget erases one registration and logs ids only", async () => {
    await seedOldRace(store, 1);
    const r = await run(["forget", "runsignup:3", "--config", await write("c.json")]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const rows = await store.listRegistrations({ provider: "runsignup" });
    expect(rows.map((x) => [x.registrationId, x.firstName, x.email, x.raw])).toEqual([
      ["1", "Ada", "ada@example.test", { first_name: "Ada" }],
      ["2", "Ada", "ada@example.test", { first_name: "Ada" }],
      ["3", null, null, null],
    ]);
    expect(r.out).toContain('"registrationId":"3"');
    expect(r.out).not.toContain("Grace");
  });

  it("forget --user erases every registration of the user", async () => {
    await seedOldRace(store, 1);
    const r = await run(["forget", "--user", "runsignup:u1", "--config", await write("c.json")]);
    expect(r.code).toBe(0);
    const rows = await store.listRegistrations({ provider: "runsignup" });
    expect(rows.map((x) => x.firstName)).toEqual([null, null, "Grace"]);
    expect(r.out).toContain("2 registration(s) cleared");
  });

  it("forget without a provider:id is bad usage", async () => {
    const r = await run(["forget", "3", "--config", await write("c.json")]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("<provider>:<registrationId>");
  });

  it("purge anonymises ended events per retention.days; without retention it asks for it", async () => {
    await seedOldRace(store, 40);
    const off = await run(["purge", "--config", await write("off.json")]);
    expect(off.code).toBe(2);
    expect(off.err).toContain("retention.days");
    const notYet = await run(["purge", "--config", await write("on.json", { retention: { days: 60 } })]);
    expect(notYet.code).toBe(0);
    expect((await store.listRegistrations({ provider: "runsignup" })).every((x) => x.firstName !== null)).toBe(true);
    const r = await run(["purge", "--config", await write("on.json", { retention: { days: 30, batchSize: 2 } })]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("anonymised 3 registration(s)");
    const rows = await store.listRegistrations({ provider: "runsignup" });
    expect(rows.map((x) => [x.registrationId, x.firstName, x.raw, x.status])).toEqual([
      ["1", null, null, "active"],
      ["2", null, null, "active"],
      ["3", null, null, "active"],
    ]);
    const days = await run(["purge", "--days", "0", "--config", await write("off.json")]);
    expect(days.code).toBe(2);
  });
});

describe("privacy configuration", () => {
  it("passes includeQuestions (default off), raw and retention through", () => {
    const base = good();
    const plain = parseConfig(base, { env });
    expect(plain.connections[0]).toMatchObject({ includeQuestions: false, raw: "full" });
    expect(plain.retention).toBeNull();
    const c = good();
    Object.assign(c.connections[0] as object, { includeQuestions: true, raw: { keep: ["registration_id", "bib_num"] } });
    const config = parseConfig({ ...c, retention: { days: 90 } }, { env });
    expect(config.connections[0]).toMatchObject({ includeQuestions: true, raw: { keep: ["registration_id", "bib_num"] } });
    expect(config.retention).toEqual({ days: 90 });
  });

  it("names the path of a bad raw policy or retention", () => {
    const c = good();
    Object.assign(c.connections[0] as object, { raw: "some" });
    const error = (() => {
      try {
        parseConfig({ ...c, retention: { days: 0 } }, { env });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path).sort()).toEqual(["connections[0].raw", "retention.days"]);
  });
});
