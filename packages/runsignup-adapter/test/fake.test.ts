import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  FakeDataset,
  generateSeason,
  simulateActivity,
  startFakeRunSignup,
  type FakeKey,
  type FakeRunSignup,
} from "../src/testing/index.js";
import { startEmptyFake } from "./support/fake.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function get(fake: FakeRunSignup, key: FakeKey | null, path: string, params: Record<string, string> = {}) {
  const url = new URL(fake.url + path);
  url.searchParams.set("format", "json");
  if (key !== null) {
    url.searchParams.set("api_key", key.apiKey);
    url.searchParams.set("api_secret", key.apiSecret);
  }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await request(url);
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

describe("season generator", () => {
  it("is deterministic for a seed and spreads races over zones, offsets and partners", () => {
    const now = () => new Date("2026-06-01T12:00:00Z");
    const a = generateSeason({ seed: 42, now, partners: 3, racesPerPartner: 4, eventsPerRace: 2, registrationsPerEvent: 50 });
    const b = generateSeason({ seed: 42, now, partners: 3, racesPerPartner: 4, eventsPerRace: 2, registrationsPerEvent: 50 });
    expect(a.partners.map((p) => [p.name, p.key.apiKey, p.races.length])).toEqual([
      ["Partner A", a.partners[0]!.key.apiKey, 4],
      ["Partner B", a.partners[1]!.key.apiKey, 4],
      ["Partner C", a.partners[2]!.key.apiKey, 4],
    ]);
    expect(a.dataset.registrationCount).toBe(3 * 4 * 2 * 50);
    const snapshot = (s: typeof a) =>
      [...s.dataset.registrations.values()].map((r) => [r.registrationId, r.eventId, r.firstName, r.lastName, r.gender, r.bib]);
    expect(snapshot(a)).toEqual(snapshot(b));
    const races = [...a.dataset.races.values()];
    expect(new Set(races.map((r) => r.timezone)).size).toBeGreaterThanOrEqual(5);
    const starts = races.map((r) => (r.events[0]!.startsAt.getTime() - now().getTime()) / 3_600_000);
    expect(starts.some((h) => h < 0)).toBe(true);
    expect(starts.some((h) => h > 0 && h <= 4)).toBe(true);
    expect(starts.some((h) => h > 24 * 30)).toBe(true);
    // Ids of a race's events interleave, and every registration predates now.
    const race = races[0]!;
    const [e1, e2] = race.events.map((e) => a.dataset.activeOf(e.eventId).map((r) => r.registrationId));
    expect(Math.min(...e2!)).toBeLessThan(Math.max(...e1!));
    for (const r of a.dataset.registrations.values()) expect(r.modifiedAt * 1000).toBeLessThanOrEqual(now().getTime());
    const genders = new Set([...a.dataset.registrations.values()].map((r) => r.gender));
    expect(genders).toEqual(new Set(["M", "F", null]));
    expect([...a.dataset.registrations.values()].some((r) => typeof r.bib === "string")).toBe(true);
    expect([...a.dataset.registrations.values()].some((r) => r.bib === null)).toBe(true);
    expect([...a.dataset.registrations.values()].some((r) => r.teamName !== null)).toBe(true);
  });

  it("scales to a demo season and to a benchmark's 1,600 events", () => {
    const season = generateSeason({ partners: 3, racesPerPartner: 12, eventsPerRace: 3, registrationsPerEvent: 300 });
    expect(season.dataset.registrationCount).toBe(32_400);
    const bench = generateSeason({ partners: 4, racesPerPartner: 200, eventsPerRace: 2, registrationsPerEvent: 5 });
    expect(bench.dataset.events.size).toBe(1600);
    expect(bench.dataset.registrationCount).toBe(8000);
  });

  it("simulates registration traffic on upcoming events", () => {
    let ms = Date.parse("2026-06-01T12:00:00Z");
    const season = generateSeason({ seed: 4, partners: 1, racesPerPartner: 4, registrationsPerEvent: 20, now: () => new Date(ms) });
    const before = season.dataset.registrationCount;
    ms += 90_000;
    const result = simulateActivity(season.dataset, { registrations: 6, modifications: 4, removals: 2, transfers: 1 });
    expect(result.registered).toHaveLength(6);
    expect(result.modified).toHaveLength(4);
    expect(result.removed).toHaveLength(2);
    expect(result.transferred).toHaveLength(1);
    expect(season.dataset.registrationCount).toBe(before + 6 - 2);
    const stamp = Math.floor(ms / 1000);
    for (const r of [...result.registered, ...result.modified]) expect(r.modifiedAt).toBe(stamp);
    for (const r of result.registered) expect(season.dataset.events.get(r.eventId)!.startsAt.getTime()).toBeGreaterThan(ms - 90_000);
  });

  it("shares races between partners when asked", () => {
    const season = generateSeason({ partners: 2, racesPerPartner: 4, registrationsPerEvent: 1, shareEveryNthRace: 2 });
    const shared = [...season.dataset.races.values()].filter((r) => r.keys.size === 2);
    expect(shared).toHaveLength(4);
    expect(season.partners[0]!.races.length + season.partners[1]!.races.length).toBe(8 + 4);
  });
});

describe("fake RunSignUp wire behaviour", () => {
  it("serves the array-shaped participants body with RunSignUp's quirks", async () => {
    const { fake, dataset } = await startEmptyFake();
    open.push(fake);
    const key = dataset.addKey("Acme");
    const race = dataset.addRace({
      keys: [key],
      timezone: "America/Denver",
      events: [{ startsAt: new Date("2026-06-20T14:30:00Z") }, { startsAt: new Date("2026-06-20T15:00:00Z") }],
    });
    const [e1, e2] = race.events.map((e) => e.eventId) as [number, number];
    for (let i = 0; i < 3; i++) dataset.create(e1);
    const res = await get(fake, key, `/race/${race.raceId}/participants`, {
      event_id: `${e1},${e2}`,
      sort: "registration_id ASC",
      include_questions: "T",
    });
    expect(res.status).toBe(200);
    const body = res.json() as Record<string, unknown>[];
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(2);
    expect(body[0]).toMatchObject({ event: { event_id: e1, participants: [] } });
    expect((body[0]!.participants as unknown[]).length).toBe(3);
    expect(body[1]).toEqual({ event: { event_id: e2, participants: [] } });
    const row = (body[0]!.participants as Record<string, unknown>[])[0]!;
    expect(row.registration_date).toMatch(/^\d{1,2}\/\d{1,2}\/\d{4} \d{2}:\d{2}$/);
    expect(typeof row.last_modified).toBe("number");
    expect(row.race_fee).toMatch(/^\$\d+\.\d{2}$/);
    expect(row.imported).toMatch(/^[TF]$/);
    expect(row.question_responses).toHaveLength(2);
    expect(res.text).not.toContain(key.apiSecret);
  });

  it("puts removed rows inside event.participants with Eastern strings and an epoch", async () => {
    const { fake, dataset, clock } = await startEmptyFake();
    open.push(fake);
    const key = dataset.addKey("Acme");
    const race = dataset.addRace({ keys: [key], timezone: "America/Denver", events: [{ startsAt: new Date("2026-06-20T14:30:00Z") }] });
    const reg = dataset.create(race.events[0]!.eventId);
    clock.set("2026-06-01T16:20:30Z");
    dataset.remove(reg.registrationId);
    const body = (await get(fake, key, `/race/${race.raceId}/removed-participants`, { event_id: String(race.events[0]!.eventId) })).json();
    expect(body).toEqual([
      {
        event: {
          event_id: race.events[0]!.eventId,
          participants: [
            expect.objectContaining({
              registration_id: reg.registrationId,
              removed_reason: "removed",
              new_registration_id: null,
              last_modified: "2026-06-01 12:20:30",
              last_modified_ts: 1780330830,
            }),
          ],
        },
      },
    ]);
  });

  it("answers errors with HTTP 200 envelopes: wrong key 6, foreign race 7, unknown race 201, foreign event 301, no event 3, unknown method 1", async () => {
    const { fake, dataset } = await startEmptyFake();
    open.push(fake);
    const key = dataset.addKey("Acme");
    const other = dataset.addKey("Other");
    const mine = dataset.addRace({ keys: [key], timezone: "UTC", events: [{ startsAt: new Date("2026-06-20T14:30:00Z") }] });
    const theirs = dataset.addRace({ keys: [other], timezone: "UTC", events: [{ startsAt: new Date("2026-06-20T14:30:00Z") }] });
    const code = async (k: FakeKey | null, path: string, params: Record<string, string> = {}) => {
      const res = await get(fake, k, path, params);
      expect(res.status).toBe(200);
      return (res.json() as { error?: { error_code: number } }).error?.error_code ?? null;
    };
    const ev = String(mine.events[0]!.eventId);
    expect(await code({ ...key, apiSecret: "wrong" }, `/race/${mine.raceId}/participants`, { event_id: ev })).toBe(6);
    expect(await code(null, "/races")).toBe(6);
    expect(await code(key, `/race/${theirs.raceId}/participants`, { event_id: String(theirs.events[0]!.eventId) })).toBe(7);
    expect(await code(key, "/race/424242/participants", { event_id: ev })).toBe(201);
    expect(await code(key, `/race/${mine.raceId}/participants`, { event_id: String(theirs.events[0]!.eventId) })).toBe(301);
    expect(await code(key, `/race/${mine.raceId}/participants`)).toBe(3);
    expect(await code(key, "/nope")).toBe(1);
    expect(fake.calls.map((c) => c.errorCode)).toEqual([6, 6, 7, 201, 301, 3, 1]);
  });

  it("caps results_per_page silently and filters modified_after_timestamp inclusively by whole seconds", async () => {
    const { fake, dataset, clock } = await startEmptyFake();
    open.push(fake);
    const key = dataset.addKey("Acme");
    const race = dataset.addRace({ keys: [key], timezone: "UTC", events: [{ startsAt: new Date("2026-06-20T14:30:00Z") }] });
    const eventId = race.events[0]!.eventId;
    for (let i = 0; i < 2600; i++) dataset.create(eventId, {}, new Date("2026-05-01T00:00:00Z"));
    const rows = async (params: Record<string, string>) => {
      const body = (await get(fake, key, `/race/${race.raceId}/participants`, { event_id: String(eventId), ...params })).json() as {
        participants?: { registration_id: number }[];
      }[];
      return body[0]!.participants ?? [];
    };
    expect(await rows({ results_per_page: "5000" })).toHaveLength(2500);
    expect(await rows({})).toHaveLength(50);
    const list = dataset.activeOf(eventId);
    expect(
      (await rows({ results_per_page: "10", after_registration_id: String(list[2595]!.registrationId) })).map((r) => r.registration_id),
    ).toEqual(list.slice(2596).map((r) => r.registrationId));
    clock.set("2026-06-01T12:00:07.900Z");
    const touched = dataset.modify(list[7]!.registrationId);
    expect(touched.modifiedAt).toBe(Date.parse("2026-06-01T12:00:07Z") / 1000);
    expect((await rows({ modified_after_timestamp: String(touched.modifiedAt) })).map((r) => r.registration_id)).toEqual([
      touched.registrationId,
    ]);
    expect(await rows({ modified_after_timestamp: String(touched.modifiedAt + 1) })).toHaveLength(0);
  });

  it("lists only the key's races in the date window, capped at 1000 a page", async () => {
    const season = generateSeason({
      seed: 3,
      partners: 2,
      racesPerPartner: 3,
      registrationsPerEvent: 1,
      now: () => new Date("2026-06-01T12:00:00Z"),
    });
    const fake = await startFakeRunSignup({ season });
    open.push(fake);
    expect(fake.season).toBe(season);
    const [a] = season.partners;
    const body = (
      await get(fake, a!.key, "/races", { events: "T", results_per_page: "5000", start_date: "2026-05-01", end_date: "2027-06-01" })
    ).json() as { races: { race: { race_id: number; events?: unknown[] } }[] };
    expect(body.races.map((r) => r.race.race_id).sort()).toEqual(a!.races.map((r) => r.raceId).sort());
    expect(body.races[0]!.race.events).toHaveLength(2);
    const none = (await get(fake, a!.key, "/races", { start_date: "2030-01-01", end_date: "2030-12-31" })).json() as { races: unknown[] };
    expect(none.races).toEqual([]);
    expect(fake.calls[0]!.query).not.toHaveProperty("api_secret");
  });

  it("generates its own season and builds connections for it", async () => {
    const fake = await startFakeRunSignup({ season: { seed: 9, partners: 2, racesPerPartner: 2, registrationsPerEvent: 3 } });
    open.push(fake);
    const conn = fake.connection(1, { callsPerHour: 500 });
    expect(conn).toMatchObject({
      provider: "runsignup",
      baseUrl: fake.url,
      id: "partner-b",
      budgetKey: "runsignup:partner-b",
      callsPerHour: 500,
      maxInFlight: 2,
    });
    expect(JSON.stringify(conn)).not.toContain(fake.season!.partners[1]!.key.apiSecret);
    expect(() => fake.connection(5)).toThrow(/no season partner/);
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/Rest$/);
  });

  it("rejects a transfer-by-modify and unknown ids in mutations", () => {
    const dataset = new FakeDataset();
    const key = dataset.addKey("Acme");
    const race = dataset.addRace({ keys: [key], timezone: "UTC", events: [{ startsAt: new Date() }, { startsAt: new Date() }] });
    const reg = dataset.create(race.events[0]!.eventId);
    expect(() => dataset.modify(reg.registrationId, { eventId: race.events[1]!.eventId })).toThrow(/transfer/);
    expect(() => dataset.remove(1)).toThrow(/no active registration/);
    expect(() => dataset.register(1)).toThrow(/no event/);
  });
});
