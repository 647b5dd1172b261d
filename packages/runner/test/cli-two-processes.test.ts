import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { startFakeRunSignup, type FakeKey, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, runCliProcess, spawnCli, writeConfig, type CliChild } from "./support/cli-process.js";
import { TEST_ZONES } from "./support/season.js";

const CALLS_PER_HOUR = 120;

/** Runs of each process: [start, end] per event, from the JSON log lines. */
function intervals(child: CliChild): Map<string, [number, number][]> {
  const starts = new Map<string, { at: number; events: string[] }>();
  const out = new Map<string, [number, number][]>();
  for (const line of child.logs()) {
    if (line.event === "sync:start") starts.set(String(line.runId), { at: Number(line.time), events: line.eventIds as string[] });
    if (line.event === "sync:finish" || line.event === "sync:error") {
      const s = starts.get(String(line.runId));
      if (!s) continue;
      for (const e of s.events) out.set(e, [...(out.get(e) ?? []), [s.at, Number(line.time)]]);
    }
  }
  return out;
}

describe("two start processes on one database", () => {
  let fake: FakeRunSignup;
  let db: TestSchema;
  let store: PostgresStore;
  let config: Awaited<ReturnType<typeof writeConfig>>;
  let env: Record<string, string>;
  let keys: FakeKey[];
  const children: CliChild[] = [];

  /** Eight races, every third visible to both keys, two events each, in six zones. */
  const addSeason = () => {
    const hour = 3_600_000;
    for (let r = 0; r < 8; r++) {
      const owners = r % 3 === 2 ? keys : [keys[r % 2] as FakeKey];
      const first = Math.floor((Date.now() + [1, 2, 5, 30][r % 4]! * hour) / 900_000) * 900_000;
      const race = fake.dataset.addRace({
        keys: owners,
        timezone: TEST_ZONES[r % TEST_ZONES.length]!,
        events: [{ startsAt: new Date(first) }, { startsAt: new Date(first + 900_000) }],
      });
      for (const event of race.events)
        for (let n = 0; n < 300; n++) fake.dataset.create(event.eventId, {}, new Date(Date.now() - 2 * 86_400_000));
    }
  };

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "runner_two" });
    // The season is added once both processes are up, so both compete for it from the start.
    fake = await startFakeRunSignup({ limits: { callsPerHour: CALLS_PER_HOUR, maxConcurrent: 2 } });
    keys = [fake.dataset.addKey("Partner A"), fake.dataset.addKey("Partner B")];
    const connections = keys.map((_key, i) => ({
      id: `partner-${i}`,
      provider: "runsignup",
      apiKey: { env: `P${i}_KEY` },
      apiSecret: { env: `P${i}_SECRET` },
      baseUrl: fake.url,
      callsPerHour: CALLS_PER_HOUR,
      burst: 40,
      maxInFlight: 2,
    }));
    config = await writeConfig({ schema: db.schema, connections, http: { port: 0 } });
    env = {
      P0_KEY: keys[0]!.apiKey,
      P0_SECRET: keys[0]!.apiSecret,
      P1_KEY: keys[1]!.apiKey,
      P1_SECRET: keys[1]!.apiSecret,
      DATABASE_URL: db.connectionString,
    };
    store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, migrate: false });
    expect((await runCliProcess(["migrate", "--config", config.path], env)).code).toBe(0);
  });

  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await store?.close();
    await fake?.close();
    await config?.remove();
    await db?.drop();
  });

  it("syncs every event, never one event in both at once, within each key's budget and 2 in flight", async () => {
    for (let i = 0; i < 2; i++) children.push(spawnCli(["start", "--config", config.path, "--no-migrate", "--log-level", "debug"], env));
    await Promise.all(children.map((c) => c.waitForLine((l) => l.includes('"engine:start"'))));
    await eventually(
      async () => (await store.lastDiscoveries()).filter((d) => d.status === "succeeded").length === 2,
      "the start-up discovery",
    );
    addSeason();
    // Pages a little slower than the engines' poll, so the second process finds work the first has not claimed.
    fake.faults.script(...Array.from({ length: 24 }, () => ({ kind: "slow" as const, endpoint: "participants" as const, delayMs: 1_200 })));
    expect((await runCliProcess(["discover", "--config", config.path], env)).code).toBe(0);
    await eventually(async () => {
      const events = await store.listEvents();
      return (
        events.length === fake.dataset.events.size && events.every((e) => e.state.backfilledAt !== null && e.state.lastSuccessAt !== null)
      );
    }, "every event backfilled");
    for (const c of children) c.kill("SIGTERM");
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);

    // Every registration arrived.
    const rows = await store.listRegistrations({ provider: "runsignup" });
    const active = rows
      .filter((r) => r.status === "active")
      .map((r) => r.registrationId)
      .sort();
    const expected = [...fake.dataset.events.keys()].flatMap((id) => fake.dataset.activeOf(id).map((r) => String(r.registrationId))).sort();
    expect(active).toEqual(expected);

    // No event was in a pass of both processes at the same time.
    const [a, b] = children.map(intervals) as [Map<string, [number, number][]>, Map<string, [number, number][]>];
    for (const [eventId, mine] of a) {
      for (const [s1, e1] of mine) {
        for (const [s2, e2] of b.get(eventId) ?? []) {
          expect(s1 < e2 && s2 < e1, `event ${eventId} synced by both processes at once`).toBe(false);
        }
      }
    }
    // Both processes took part, so the check above compared real work.
    expect(a.size).toBeGreaterThan(0);
    expect(b.size).toBeGreaterThan(0);

    // The fake saw each key within its budget and never more than 2 requests in flight.
    for (const key of keys) {
      const calls = fake.callsOf(key);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.length).toBeLessThanOrEqual(CALLS_PER_HOUR);
      expect(calls.filter((c) => c.throttled !== null)).toEqual([]);
      expect(fake.maxInFlight(key)).toBeLessThanOrEqual(2);
    }
  }, 120_000);
});
