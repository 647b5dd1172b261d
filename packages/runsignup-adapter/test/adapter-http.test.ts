import { AuthError, ForbiddenError, NotFoundError, ProviderError, RateLimitedError } from "@project88/core";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter, type RunSignupAdapter } from "../src/index.js";
import { fakeConnection, type CsvPaging, type FakeRunSignup } from "../src/testing/index.js";
import { callContext, collect, onlyRaces } from "./support/budget.js";
import { startEmptyFake } from "./support/fake.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup(
  options: Parameters<typeof startEmptyFake>[0] = {},
  adapterOptions: Parameters<typeof createRunSignupAdapter>[0] = {},
) {
  const env = await startEmptyFake(options);
  const adapter = createRunSignupAdapter(adapterOptions);
  open.push(env.fake, adapter);
  const key = env.dataset.addKey("Acme Timing");
  return { ...env, adapter, key, conn: fakeConnection(key, env.fake.url) };
}

const dataCalls = (fake: FakeRunSignup, endpoint = "participants") => fake.calls.filter((c) => c.endpoint === endpoint);
const ids = (rows: readonly { registrationId: string }[]) => rows.map((r) => r.registrationId);

describe("registrations over real HTTP", () => {
  for (const mode of ["per-element", "whole-page"] as CsvPaging[]) {
    it(`backfills an event of 6,000 registrations in exactly 3 data calls (${mode})`, async () => {
      const { fake, dataset, adapter, key, conn } = await setup({ csvPaging: mode });
      const race = dataset.addRace({ keys: [key], timezone: "America/Denver", events: [{ startsAt: new Date("2026-06-20T14:30:00Z") }] });
      const eventId = race.events[0]!.eventId;
      const at = new Date("2026-05-01T00:00:00Z");
      for (let i = 0; i < 6000; i++) dataset.create(eventId, {}, at);
      const pages = await collect(
        adapter.fetchRegistrations(conn, { raceId: String(race.raceId), eventIds: [String(eventId)] }, callContext()),
      );
      expect(dataCalls(fake)).toHaveLength(3);
      expect(pages.map((p) => p.rows.length)).toEqual([2500, 2500, 1000]);
      expect(pages.map((p) => p.after)).toEqual([ids(pages[0]!.rows).at(-1), ids(pages[1]!.rows).at(-1), null]);
      expect(new Set(pages.flatMap((p) => ids(p.rows))).size).toBe(6000);
      expect(dataCalls(fake).map((c) => c.query.results_per_page)).toEqual(["2500", "2500", "2500"]);
      expect(dataCalls(fake)[1]!.query.after_registration_id).toBe(pages[0]!.after);
    });

    it(`pages a CSV of interleaved events without losing or repeating rows (${mode})`, async () => {
      const { fake, dataset, key } = await setup({ csvPaging: mode });
      const adapter = createRunSignupAdapter({ pageSize: 100 });
      open.push(adapter);
      const conn = fakeConnection(key, fake.url);
      const race = dataset.addRace({
        keys: [key],
        timezone: "America/Chicago",
        events: [0, 1, 2, 3].map((i) => ({ startsAt: new Date(Date.UTC(2026, 5, 20, 13, i * 15)) })),
      });
      const [a, b, c] = race.events.map((e) => e.eventId) as [number, number, number];
      const plan = [...Array<number>(250).fill(a), ...Array<number>(130).fill(b), ...Array<number>(40).fill(c)];
      for (let i = plan.length - 1; i > 0; i--) {
        const j = (i * 7919) % (i + 1);
        [plan[i], plan[j]] = [plan[j]!, plan[i]!];
      }
      for (const eventId of plan) dataset.create(eventId);
      const eventIds = race.events.map((e) => String(e.eventId));
      const pages = await collect(adapter.fetchRegistrations(conn, { raceId: String(race.raceId), eventIds }, callContext()));
      const seen = pages.flatMap((p) => ids(p.rows));
      const expected = race.events.flatMap((e) => dataset.activeOf(e.eventId).map((r) => String(r.registrationId)));
      expect(seen).toHaveLength(420);
      expect(new Set(seen)).toEqual(new Set(expected));
      expect(seen).toEqual([...seen].sort((x, y) => Number(x) - Number(y)));
      expect(pages.at(-1)!.after).toBeNull();
      // Resuming after any page yields exactly the rows after it.
      const mid = pages[1]!;
      const resumed = await collect(
        adapter.fetchRegistrations(conn, { raceId: String(race.raceId), eventIds, after: mid.after! }, callContext()),
      );
      expect(resumed.flatMap((p) => ids(p.rows))).toEqual(seen.filter((id) => Number(id) > Number(mid.after)));
      expect(dataCalls(fake).every((call) => call.query.event_id === eventIds.join(","))).toBe(true);
    });
  }

  it("keeps registrations modified in the cursor's own second across two incremental passes", async () => {
    const { fake, dataset, clock, adapter, key, conn } = await setup();
    const race = dataset.addRace({ keys: [key], timezone: "America/New_York", events: [{ startsAt: new Date("2026-06-02T12:00:00Z") }] });
    const eventId = race.events[0]!.eventId;
    const old = Array.from({ length: 20 }, () => dataset.create(eventId, {}, new Date("2026-05-01T00:00:00Z")));
    const args = { raceId: String(race.raceId), eventIds: [String(eventId)] };

    clock.set("2026-06-01T12:00:00.300Z");
    dataset.modify(old[0]!.registrationId, { bib: 901 });
    const pass1 = await collect(
      adapter.fetchRegistrations(conn, { ...args, modifiedSince: new Date("2026-06-01T11:59:00Z") }, callContext()),
    );
    expect(pass1.flatMap((p) => ids(p.rows))).toEqual([String(old[0]!.registrationId)]);

    // The engine's signpost for pass 2 was taken at .400; these changes land later in the same second.
    const signpost = new Date("2026-06-01T12:00:00.400Z");
    clock.set("2026-06-01T12:00:00.900Z");
    for (const reg of old.slice(5, 15)) dataset.modify(reg.registrationId, { chip: `X${reg.registrationId}` });
    const added = dataset.register(eventId);
    const pass2 = await collect(adapter.fetchRegistrations(conn, { ...args, modifiedSince: signpost }, callContext()));
    const got = new Set(pass2.flatMap((p) => ids(p.rows)));
    for (const reg of [...old.slice(5, 15), added]) expect(got.has(String(reg.registrationId))).toBe(true);
    expect(dataCalls(fake).at(-1)!.query.modified_after_timestamp).toBe(String(Math.floor(signpost.getTime() / 1000)));
    const changed = pass2.flatMap((p) => p.rows).find((r) => r.registrationId === String(old[5]!.registrationId));
    expect(changed?.chip).toBe(`X${old[5]!.registrationId}`);
    expect(changed?.modifiedAt?.toISOString()).toBe("2026-06-01T12:00:00.000Z");
  });

  it("reports removals, transfers and deferrals from the removal feed", async () => {
    const { dataset, clock, adapter, key, conn } = await setup();
    const race = dataset.addRace({
      keys: [key],
      timezone: "America/Los_Angeles",
      events: [{ startsAt: new Date("2026-06-07T15:00:00Z") }, { startsAt: new Date("2026-06-07T16:00:00Z") }],
    });
    const [e1, e2] = race.events.map((e) => e.eventId) as [number, number];
    const regs = Array.from({ length: 6 }, () => dataset.create(e1, {}, new Date("2026-05-01T00:00:00Z")));
    clock.set("2026-06-01T13:00:05.000Z");
    dataset.remove(regs[0]!.registrationId);
    const { registration: moved } = dataset.transfer(regs[1]!.registrationId, e2);
    dataset.defer(regs[2]!.registrationId);
    const args = { raceId: String(race.raceId), eventIds: [String(e1), String(e2)], modifiedSince: new Date("2026-06-01T13:00:00Z") };

    const removals = (await collect(adapter.fetchRemovals(conn, args, callContext()))).flatMap((p) => p.rows);
    expect(removals.map((r) => [r.registrationId, r.eventId, r.reason, r.newRegistrationId, r.modifiedAt?.toISOString()])).toEqual([
      [String(regs[0]!.registrationId), String(e1), "removed", null, "2026-06-01T13:00:05.000Z"],
      [String(regs[1]!.registrationId), String(e1), "transferred", String(moved.registrationId), "2026-06-01T13:00:05.000Z"],
      [String(regs[2]!.registrationId), String(e1), "deferred", null, "2026-06-01T13:00:05.000Z"],
    ]);
    const active = (await collect(adapter.fetchRegistrations(conn, args, callContext()))).flatMap((p) => p.rows);
    expect(ids(active)).toEqual([String(moved.registrationId)]);
    expect(active[0]).toMatchObject({ eventId: String(e2), lastName: regs[1]!.lastName });
  });

  it("maps a participants response carrying an error envelope to its error, never an empty page", async () => {
    const { fake, dataset, adapter, key, conn } = await setup();
    const race = dataset.addRace({ keys: [key], timezone: "America/New_York", events: [{ startsAt: new Date("2026-06-02T12:00:00Z") }] });
    dataset.create(race.events[0]!.eventId);
    const args = { raceId: String(race.raceId), eventIds: [String(race.events[0]!.eventId)] };
    const cases: [number, unknown, boolean][] = [
      [7, ForbiddenError, false],
      [6, AuthError, false],
      [13, AuthError, false],
      [14, RateLimitedError, true],
      [201, NotFoundError, false],
      [301, NotFoundError, false],
      [223, NotFoundError, false],
      [4, ProviderError, true],
      [5, ProviderError, true],
      [3, ProviderError, false],
      [15, ProviderError, false],
    ];
    for (const [code, cls, retryable] of cases) {
      fake.faults.script({ kind: "error", code, endpoint: "participants" });
      const error = await collect(adapter.fetchRegistrations(conn, args, callContext())).catch((e: unknown) => e);
      expect(error, `code ${code}`).toBeInstanceOf(cls);
      expect((error as ProviderError).retryable, `code ${code}`).toBe(retryable);
      expect((error as Error).message).toContain(`error ${code}`);
    }
  });

  it("gets the real errors for wrong keys, foreign races, unknown races and foreign events", async () => {
    const { dataset, adapter, key, conn, fake } = await setup();
    const other = dataset.addKey("Other Timing");
    const mine = dataset.addRace({ keys: [key], timezone: "America/New_York", events: [{ startsAt: new Date("2026-06-02T12:00:00Z") }] });
    const theirs = dataset.addRace({
      keys: [other],
      timezone: "America/New_York",
      events: [{ startsAt: new Date("2026-06-02T12:00:00Z") }],
    });
    const fetch = (c = conn, raceId = String(mine.raceId), eventIds = [String(mine.events[0]!.eventId)]) =>
      collect(adapter.fetchRegistrations(c, { raceId, eventIds }, callContext())).catch((e: unknown) => e);
    const wrongKey = fakeConnection({ ...key, apiSecret: "not-the-secret" }, fake.url);
    expect(await fetch(wrongKey)).toBeInstanceOf(AuthError);
    // A race the key has no access to is refused (error 7): a fact about that race, not the key.
    expect(await fetch(conn, String(theirs.raceId), [String(theirs.events[0]!.eventId)])).toBeInstanceOf(ForbiddenError);
    expect(await fetch(conn, "999999")).toBeInstanceOf(NotFoundError);
    expect(await fetch(conn, String(mine.raceId), [String(theirs.events[0]!.eventId)])).toBeInstanceOf(NotFoundError);
    // The same key works as an OAuth bearer token.
    const bearer = fakeConnection(key, fake.url, { auth: "bearer" });
    expect(await fetch(bearer)).toEqual([{ rows: [], after: null }]);
    expect(fake.calls.at(-1)).toMatchObject({ bearer: true, apiKey: key.apiKey });
  });
});

describe("discovery over real HTTP", () => {
  it("lists only the key's races, page by page, with event times converted from each race's zone", async () => {
    const { fake, dataset, key, conn } = await setup();
    const adapter: RunSignupAdapter = createRunSignupAdapter({ racePageSize: 2 });
    open.push(adapter);
    const other = dataset.addKey("Other");
    const zones = ["America/New_York", "America/Denver", "Pacific/Honolulu", "America/Phoenix", "Europe/London"];
    const mine = zones.map((timezone, i) =>
      dataset.addRace({
        keys: i === 4 ? [key, other] : [key],
        timezone,
        name: `  Race ${i}`,
        events: [{ startsAt: new Date(Date.UTC(2026, 2, 8 + i, 14, 30)) }, { startsAt: new Date(Date.UTC(2026, 10, 1, 12, 0)) }],
      }),
    );
    dataset.addRace({ keys: [other], timezone: "America/Chicago", events: [{ startsAt: new Date("2026-07-01T12:00:00Z") }] });
    const window = { from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-12-31T00:00:00Z") };
    const races = onlyRaces(await collect(adapter.listRaces(conn, window, callContext())));
    expect(races.map((r) => r.raceId).sort()).toEqual(mine.map((r) => String(r.raceId)).sort());
    expect(dataCalls(fake, "races").map((c) => c.query.page)).toEqual(["1", "2", "3"]);
    expect(dataCalls(fake, "race")).toHaveLength(0);
    for (const race of mine) {
      const got = races.find((r) => r.raceId === String(race.raceId))!;
      expect(got.name).toBe(race.name.trim());
      expect(got.timezone).toBe(race.timezone);
      expect(got.events.map((e) => [e.eventId, e.startsAt.toISOString()])).toEqual(
        race.events.map((e) => [String(e.eventId), e.startsAt.toISOString()]),
      );
    }
    expect(dataCalls(fake, "races")[0]!.query).toMatchObject({
      events: "T",
      start_date: "2026-01-01",
      end_date: "2026-12-31",
      results_per_page: "2",
    });
  });

  it("sees a moved start time on the next discovery, and uses Get Race when asked to", async () => {
    const { fake, dataset, key, conn } = await setup();
    const adapter = createRunSignupAdapter({ raceDetail: "always" });
    open.push(adapter);
    const race = dataset.addRace({ keys: [key], timezone: "America/Denver", events: [{ startsAt: new Date("2026-06-20T14:30:00Z") }] });
    const window = { from: new Date("2026-05-31T00:00:00Z"), to: new Date("2027-06-01T00:00:00Z") };
    dataset.setEventStart(race.events[0]!.eventId, new Date("2026-06-20T15:00:00Z"));
    const [got] = onlyRaces(await collect(adapter.listRaces(conn, window, callContext())));
    expect(got!.events[0]!.startsAt.toISOString()).toBe("2026-06-20T15:00:00.000Z");
    expect(dataCalls(fake, "race")).toHaveLength(1);
    expect(dataCalls(fake, "race")[0]!.query).toMatchObject({ future_events_only: "F", most_recent_events_only: "F" });
  });
});
