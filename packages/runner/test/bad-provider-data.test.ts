/**
 * Bad provider data over real loopback HTTP into real PostgreSQL: one bad row must not stop its
 * page, its race or the passes after it (issue 8, section 3).
 */
import { createSyncEngine, type EngineEvents, type SyncEngine } from "@project88/core";
import { ManualClock } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { createRunSignupAdapter, type RunSignupAdapter } from "@project88/runsignup-adapter";
import { FakeDataset, startFakeRunSignup, type FakeKey, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const T0 = Date.parse("2026-06-20T10:00:00Z");
// The engines run on a manual clock far from the database's, so the database clock check is off.

describe("bad provider data over loopback into PostgreSQL", () => {
  let db: TestSchema;
  let store: PostgresStore;
  let fake: FakeRunSignup;
  let adapter: RunSignupAdapter;
  let dataset: FakeDataset;
  let key: FakeKey;
  let now = T0;
  const clock = new ManualClock(T0);
  const engines: SyncEngine[] = [];

  function engine(log: { name: string; payload: unknown }[]): SyncEngine {
    const e = createSyncEngine({
      adapters: [adapter],
      store,
      connections: [fake.connection(key, { id: "partner" })],
      clock,
      owner: `test-${engines.length}`,
      maxClockSkewMs: null,
    });
    for (const name of ["sync:invalid", "sync:finish", "sync:error", "discovery:finish"] as const) {
      e.on(name, (payload: EngineEvents[typeof name]) => log.push({ name, payload }));
    }
    engines.push(e);
    return e;
  }

  async function advance(ms: number): Promise<void> {
    now += ms;
    await clock.advance(ms);
  }

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "runner_bad_rows" });
    store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema });
    dataset = new FakeDataset({ seed: 11, now: () => new Date(now) });
    key = dataset.addKey("Partner");
    fake = await startFakeRunSignup({ dataset });
    adapter = createRunSignupAdapter();
  });

  afterAll(async () => {
    for (const e of engines) await e.stop({ timeoutMs: 1000 });
    await adapter?.close();
    await fake?.close();
    await store?.close();
    await db?.drop();
  });

  it("a page with one bad row commits the other 2,499 and records the problem; the next page and later passes go on", async () => {
    const race = dataset.addRace({ keys: [key], timezone: "America/Denver", events: [{ startsAt: new Date(T0 + 2 * 3_600_000) }] });
    const eventId = race.events[0]!.eventId;
    const regs = Array.from({ length: 5000 }, () => dataset.create(eventId, {}, new Date(T0 - 86_400_000), Math.floor(T0 / 1000) - 3600));
    const id = (i: number) => regs[i]!.registrationId;
    // Page 1 (rows 0..2499): one row without registration_id, so it cannot be stored at all.
    dataset.malformed.participant(id(100), ({ registration_id: _gone, ...rest }) => rest);
    // Page 2 (rows 2500..4999): fields that fail their checks, a raw document too deep to serialise, exact text.
    dataset.malformed.participant(id(2600), (row) => ({ ...row, user: { ...(row.user as object), dob: "0000-00-00" } }));
    dataset.malformed.participant(id(2601), (row) => ({ ...row, age: "" }));
    dataset.malformed.participant(id(2602), (row) => ({
      ...row,
      user: { ...(row.user as object), first_name: "Ro\u0000bert" },
      registration_date: "31/31/2026 99:99",
    }));
    dataset.malformed.participant(id(2603), (row) => ({
      ...row,
      deep: dataset.malformed.literal(`${"[".repeat(20_000)}${"]".repeat(20_000)}`),
    }));
    const names = { first_name: `O'Brien "Bob" 🏃‍♀️ \ud800`, last_name: "Robert'); DROP TABLE registrations;--" };
    dataset.malformed.participant(id(2604), (row) => ({ ...row, user: { ...(row.user as object), ...names } }));
    const exact = { first_name: `O'Brien "Bob" 🏃‍♀️`, last_name: "x'; SELECT pg_sleep(10); --" };
    dataset.malformed.participant(id(2605), (row) => ({ ...row, user: { ...(row.user as object), ...exact } }));
    // The last row's id is beyond 2^53 (sent as a bare JSON number): kept exactly, and paging ends after it.
    const big = "90071992547409930001";
    dataset.malformed.participant(id(4999), (row) => ({ ...row, registration_id: dataset.malformed.literal(big) }));

    const log: { name: string; payload: unknown }[] = [];
    const e = engine(log);
    const first = await e.runOnce();
    const backfill = first.passes.find((p) => p.kind === "backfill");
    expect(backfill).toMatchObject({ ok: true, inserted: 4999, problems: 9 });

    const byId = new Map((await store.listRegistrations({ provider: "runsignup" })).map((r) => [r.registrationId, r]));
    expect(byId.size).toBe(4999);
    expect(byId.has(String(id(100)))).toBe(false);
    expect(byId.get(String(id(101)))?.status).toBe("active");
    expect(byId.get(big)).toMatchObject({ status: "active", problems: [] });
    expect(byId.get(String(id(2605)))).toMatchObject({ firstName: exact.first_name, lastName: exact.last_name, problems: [] });
    expect(byId.get(String(id(2600)))).toMatchObject({ dob: null, problems: [{ field: "dob" }] });
    expect(byId.get(String(id(2600)))?.raw).toMatchObject({ user: { dob: "0000-00-00" } });
    expect(byId.get(String(id(2601)))).toMatchObject({ age: null, problems: [{ field: "age" }], raw: { age: "" } });
    expect(byId.get(String(id(2602)))).toMatchObject({ firstName: null, registeredAt: null });
    expect(
      byId
        .get(String(id(2602)))
        ?.problems.map((p) => p.field)
        .sort(),
    ).toEqual(["firstName", "raw", "registeredAt"]);
    expect(byId.get(String(id(2602)))?.raw).toMatchObject({ user: { first_name: "Ro\ufffdbert" } });
    expect(byId.get(String(id(2603)))?.problems.map((p) => p.field)).toEqual(["raw"]);
    // A lone surrogate cannot be stored: the name is null, raw keeps it as U+FFFD; quotes, emoji and SQL-looking text are kept exactly.
    expect(byId.get(String(id(2604)))).toMatchObject({
      firstName: null,
      lastName: names.last_name,
      raw: { user: { first_name: `O'Brien "Bob" 🏃‍♀️ \ufffd` } },
    });
    expect(byId.get(String(id(2604)))?.problems.map((p) => p.field)).toEqual(["firstName", "raw"]);

    const [run] = (await store.listRuns({ eventId: String(eventId) })).filter((r) => r.kind === "backfill");
    expect(run).toMatchObject({ status: "succeeded", problems: 9 });
    expect(run!.problemSample).toHaveLength(9);
    expect(run!.problemSample[0]).toMatchObject({ field: "registrationId", skipped: true });
    const invalid = log.filter((l) => l.name === "sync:invalid").map((l) => l.payload as EngineEvents["sync:invalid"]);
    expect(invalid.map((p) => p.count)).toEqual([1, 8]);
    expect(invalid[0]!.problems[0]).toMatchObject({ registrationId: null, field: "registrationId", skipped: true });
    const [state] = await store.listEvents({ refs: [{ provider: "runsignup", eventId: String(eventId) }] });
    expect(state?.state).toMatchObject({ failures: 0, backfillAfter: null, lastError: null });
    expect(state?.state.backfilledAt).not.toBeNull();
    const status = await e.status();
    expect(status.problemRuns[0]).toMatchObject({ problems: 9, raceId: String(race.raceId) });

    // A later pass goes on: a change at the fake arrives, the bad rows do not block it.
    await advance(61_000);
    dataset.modify(id(3000), { firstName: "Changed" });
    const second = await e.runOnce();
    expect(second.passes.map((p) => [p.kind, p.ok])).toEqual([["incremental", true]]);
    expect((await store.listRegistrations({ provider: "runsignup" })).find((r) => r.registrationId === String(id(3000)))?.firstName).toBe(
      "Changed",
    );
  }, 120_000);

  it("a provider error_msg with a NUL fails the run visibly: the sync_runs row is failed with a clean message, not left running", async () => {
    const race = dataset.addRace({ keys: [key], timezone: "Europe/London", events: [{ startsAt: new Date(now + 3 * 3_600_000) }] });
    const eventId = String(race.events[0]!.eventId);
    for (let i = 0; i < 3; i++) dataset.create(race.events[0]!.eventId, {}, new Date(now - 3_600_000), Math.floor(now / 1000) - 60);
    const log: { name: string; payload: unknown }[] = [];
    const e = engine(log);
    await e.discover();
    fake.faults.script({ kind: "error", code: 5, endpoint: "participants", message: `Database\u0000 error \u001b[2J${"!".repeat(5000)}` });
    const result = await e.syncEvent({ provider: "runsignup", eventId }, { full: true });
    expect(result.ok).toBe(false);
    const runs = await store.listRuns({ eventId });
    expect(runs.map((r) => r.status)).toEqual(["failed"]);
    const message = runs[0]!.error!.message;
    expect(message.length).toBeLessThanOrEqual(500);
    expect([...message].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
    expect(message).toContain("error 5 Database  error");
    const errorEvent = log.find((l) => l.name === "sync:error")?.payload as EngineEvents["sync:error"];
    expect(errorEvent.error.message).toBe(message);
    const [state] = await store.listEvents({ refs: [{ provider: "runsignup", eventId }] });
    expect(state?.state).toMatchObject({ failures: 1, leaseOwner: null });
    expect(state?.state.lastError?.message).toBe(message);
  }, 60_000);

  it("discovery skips a race with an unknown time zone and an event with an unreadable start, reports them, and stores the rest", async () => {
    const other = dataset.addKey("Other");
    const good = dataset.addRace({
      keys: [other],
      timezone: "America/New_York",
      events: [{ startsAt: new Date(now + 86_400_000) }, { startsAt: new Date(now + 90_000_000) }],
    });
    const badZone = dataset.addRace({ keys: [other], timezone: "America/Denver", events: [{ startsAt: new Date(now + 86_400_000) }] });
    dataset.malformed.race(badZone.raceId, (r) => ({ ...r, timezone: "Mars/Olympus\u0000Mons" }));
    dataset.malformed.race(good.raceId, (r) => ({
      ...r,
      events: (r.events as Record<string, unknown>[]).map((ev, i) => (i === 1 ? { ...ev, start_time: "tomorrow-ish" } : ev)),
    }));
    const log: { name: string; payload: unknown }[] = [];
    const e = createSyncEngine({
      adapters: [adapter],
      store,
      connections: [fake.connection(other, { id: "other" })],
      clock,
      owner: "discovery-test",
      maxClockSkewMs: null,
    });
    engines.push(e);
    e.on("discovery:finish", (p) => log.push({ name: "discovery:finish", payload: p }));
    await e.discover();
    const finish = log[0]!.payload as EngineEvents["discovery:finish"];
    expect(finish.error).toBeNull();
    expect(finish.skipped.map((s) => [s.raceId, s.eventId])).toEqual([
      [String(good.raceId), String(good.events[1]!.eventId)],
      [String(badZone.raceId), null],
    ]);
    expect(finish.skipped[1]!.reason).toContain("unknown time zone");
    expect(finish.skipped[1]!.reason).not.toContain("\u0000");
    const events = await store.listEvents({ provider: "runsignup" });
    const seen = new Set(events.filter((ev) => ev.connectionIds.includes("other")).map((ev) => ev.eventId));
    expect(seen).toEqual(new Set([String(good.events[0]!.eventId)]));
  }, 60_000);
});
