import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ZONES, seasonConnections } from "./support/season.js";
import { runCliProcess, spawnCli, writeConfig, killChildren } from "./support/cli-process.js";

/**
 * The CLI in child processes against the fake RunSignUp over loopback and real PostgreSQL
 * (a schema of its own). The tests run in order: each builds on the database the previous left.
 */
describe("project88-sync against the fake RunSignUp and PostgreSQL", () => {
  let fake: FakeRunSignup;
  let db: TestSchema;
  let store: PostgresStore;
  let config: Awaited<ReturnType<typeof writeConfig>>;
  let env: Record<string, string>;
  let failed = false;

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "runner_sync" });
    fake = await startFakeRunSignup({
      season: {
        seed: 11,
        partners: 2,
        racesPerPartner: 3,
        eventsPerRace: 2,
        registrationsPerEvent: 250,
        timezones: TEST_ZONES,
        startOffsetsHours: [0.5, 3, 20, 30, 72, 24 * 30],
      },
    });
    const season = seasonConnections(fake);
    // Removals every pass for every event, so one `sync` shows refunds and transfers at once.
    config = await writeConfig({
      schema: db.schema,
      connections: season.connections,
      schedule: { removalsEveryPassWithin: "365d" },
      http: { port: 0 },
    });
    env = { ...season.env, DATABASE_URL: db.connectionString };
    store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, migrate: false });
  });

  afterAll(async () => {
    killChildren();
    await store?.close();
    await fake?.close();
    await config?.remove();
    if (!failed) await db?.drop();
  });

  const expectActiveEqualsFake = async (eventIds?: readonly number[]) => {
    const wanted = eventIds ?? [...fake.dataset.events.keys()];
    const rows = await store.listRegistrations({ provider: "runsignup", eventIds: wanted.map(String) });
    const active = rows.filter((r) => r.status === "active");
    const fakeRows = wanted.flatMap((id) => fake.dataset.activeOf(id));
    expect(active.map((r) => r.registrationId).sort()).toEqual(fakeRows.map((r) => String(r.registrationId)).sort());
    const byId = new Map(active.map((r) => [r.registrationId, r]));
    for (const f of fakeRows) {
      const r = byId.get(String(f.registrationId));
      expect({ eventId: r?.eventId, firstName: r?.firstName, lastName: r?.lastName, chip: r?.chip }).toEqual({
        eventId: String(f.eventId),
        // The fake sends some names with stray spaces, as RunSignUp does; the adapter trims them.
        firstName: f.firstName?.trim() || null,
        lastName: f.lastName?.trim() || null,
        chip: f.chip,
      });
    }
    return rows;
  };

  it("migrate, then once: the registrations equal the fake's and every start instant is right in every zone", async () => {
    const migrated = await runCliProcess(["migrate", "--config", config.path], env);
    expect(migrated.stderr).toBe("");
    expect(migrated.code).toBe(0);
    const once = await runCliProcess(["once", "--config", config.path, "--no-migrate"], env);
    if (once.code !== 0) failed = true;
    expect(once.stderr).toBe("");
    expect(once.code).toBe(0);
    await expectActiveEqualsFake();

    const events = await store.listEvents({ provider: "runsignup" });
    expect(events).toHaveLength(fake.dataset.events.size);
    const zones = new Set<string>();
    for (const e of events) {
      const f = fake.dataset.events.get(Number(e.eventId));
      const race = fake.dataset.races.get(Number(e.raceId));
      expect(e.startsAt.toISOString(), `event ${e.eventId} in ${race?.timezone}`).toBe(f?.startsAt.toISOString());
      expect(e.timezone).toBe(race?.timezone);
      zones.add(e.timezone);
    }
    expect(zones.size).toBeGreaterThanOrEqual(3);
    // Every line of a pass names its connection, race and events.
    for (const line of once.logs.filter((l) => String(l.event ?? "").startsWith("sync:"))) {
      expect(line).toHaveProperty("connectionId");
      expect(line).toHaveProperty("raceId");
      expect(line).toHaveProperty("eventIds");
    }
  }, 60_000);

  it("after mutations, sync runsignup:<id> brings in new, changed, removed and transferred registrations", async () => {
    const event = [...fake.dataset.events.values()][0]!;
    const [a, b, c] = fake.dataset.activeOf(event.eventId);
    const added = fake.dataset.register(event.eventId);
    fake.dataset.modify(a!.registrationId, { lastName: "Changed-Name" });
    fake.dataset.remove(b!.registrationId);
    const transfer = fake.dataset.transfer(c!.registrationId);

    const r = await runCliProcess(["sync", `runsignup:${event.eventId}`, "--config", config.path], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = await expectActiveEqualsFake([event.eventId]);
    const byId = new Map(rows.map((x) => [x.registrationId, x]));
    expect(byId.get(String(added.registrationId))?.status).toBe("active");
    expect(byId.get(String(a!.registrationId))?.lastName).toBe("Changed-Name");
    expect(byId.get(String(b!.registrationId))?.status).toBe("removed");
    expect(byId.get(String(c!.registrationId))).toMatchObject({
      status: "transferred",
      newRegistrationId: String(transfer.registration.registrationId),
    });
  }, 60_000);

  it("status --json and plan --json describe every event and connection", async () => {
    const status = await runCliProcess(["status", "--json", "--config", config.path], env);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as {
      events: { eventId: string; tier: string; registrations: number }[];
      connections: { id: string }[];
    };
    expect(doc.events).toHaveLength(fake.dataset.events.size);
    expect(doc.connections.map((c) => c.id)).toEqual(["partner-0", "partner-1"]);
    const plan = await runCliProcess(["plan", "--hours", "6", "--json", "--config", config.path], env);
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as { connections: unknown[] }).connections).toHaveLength(2);
  }, 60_000);

  it("SIGTERM during a backfill exits 0 with only whole pages written; the next once completes it", async () => {
    // A big new event whose pages the fake answers slowly, so the signal lands mid-backfill.
    const key = fake.season!.partners[0]!.key;
    const race = fake.dataset.addRace({
      keys: [key],
      timezone: "America/Chicago",
      name: "Big City Marathon",
      events: [{ startsAt: new Date(Date.now() + 10 * 86_400_000), name: "Marathon" }],
    });
    const big = race.events[0]!;
    for (let i = 0; i < 6_000; i++) fake.dataset.create(big.eventId, {}, new Date(Date.now() - 86_400_000));
    expect((await runCliProcess(["discover", "--config", config.path], env)).code).toBe(0);
    // Every participants page takes 5 s: the signal comes while the next page is in flight.
    fake.faults.setRate(1, ["slow"], "participants");

    const child = spawnCli(["start", "--config", config.path, "--log-level", "debug", "--shutdown-timeout", "1s", "--port", "0"], env);
    await child.waitForLine((line) => line.includes('"sync:page"') && line.includes(`"${big.eventId}"`));
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);

    const pages = child
      .logs()
      .filter((l) => l.event === "sync:page" && (l.eventIds as string[]).includes(String(big.eventId)) && l.feed === "registrations");
    const committed = pages.reduce((sum, l) => sum + Number(l.rows), 0);
    const stored = await store.listRegistrations({ provider: "runsignup", eventIds: [String(big.eventId)] });
    expect(stored.length).toBe(committed);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(6_000);
    expect(await store.listRuns({ status: "running" })).toEqual([]);

    fake.faults.clear();
    const once = await runCliProcess(["once", "--config", config.path], env);
    expect(once.code).toBe(0);
    await expectActiveEqualsFake([big.eventId]);
  }, 90_000);
});
